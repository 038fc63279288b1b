// An amunixd running inside a test, on a thread of its own.
//
// Tests of links, endpoints and the daemon's servers need a real daemon
// that runs while the test talks to it and is gone when the test ends,
// whatever the test found. Each test wrote the same thread, semaphore and
// deferred stop; this is that once, with the stop's outcome (a daemon that
// does not stop within the time is a failure worth reporting) returned.

import AmunixDaemon
import Foundation
import Logging

public final class RunningDaemon: @unchecked Sendable {
    public let daemon: Daemon
    private let done = DispatchSemaphore(value: 0)

    /// Starts a daemon with `configuration`; `logger` defaults to one that
    /// reports only errors, so a test's output stays its own.
    public init(_ configuration: DaemonConfiguration, logger: Logger? = nil) throws {
        daemon = try Daemon(configuration: configuration, logger: logger ?? RunningDaemon.quietLogger())
        let daemon = self.daemon, done = self.done
        Thread {
            daemon.run()
            done.signal()
        }.start()
    }

    /// Asks the daemon to stop and waits for its loop to end; false when it
    /// did not within `seconds`.
    @discardableResult
    public func stop(within seconds: Double = 15) -> Bool {
        daemon.requestStop()
        return done.wait(timeout: .now() + seconds) == .success
    }

    public static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }
}
