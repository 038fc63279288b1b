// migrate's own owner server, on a fresh private port through amunixd:
// one capability (object 0, all rights) that migrate makes the process's
// owner before stunning it. The kernel's PS_CHECKPOINT arrives here and
// is held unanswered while migrate moves the process: the old node keeps
// the stunned process's segments readable for exactly that long, and the
// answer (STD_OK, no descriptor) is what lets it go.

import AmoebaCore
import Amunix
import Foundation
import ProcessDescriptor

final class CheckpointCatcher: @unchecked Sendable {
    struct Checkpoint {
        let header: Header
        let cause: TerminationCause
        let detail: Int32
        let body: [UInt8]
    }

    let connection: AmunixConnection
    let getPort: AmoebaCore.Port
    let random: AmoebaCore.Port
    private let arrived = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let answered = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var checkpoint: Checkpoint? = nil

    init(connection: AmunixConnection) {
        var g = SystemRandomNumberGenerator()
        self.connection = connection
        getPort = AmoebaCore.Port.random(using: &g)
        random = AmoebaCore.Port.random(using: &g)
    }

    var capability: Capability {
        Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, random: random))
    }

    func start() {
        Thread { [self] in serve() }.start()
    }

    /// The checkpoint, or nil after `timeout` seconds without one.
    func wait(timeout: Double) -> Checkpoint? {
        guard arrived.wait(timeout: .now() + timeout) == .success else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return checkpoint
    }

    /// Answers the held checkpoint (the old process goes) and waits until
    /// the answer is on its way.
    func release() {
        released.signal()
        _ = answered.wait(timeout: .now() + 10)
    }

    private func serve() {
        while true {
            let request: IncomingRequest
            do throws(AmunixError) { request = try connection.getreq(getPort) } catch { return }
            let h = request.header
            var r = Header()
            guard h.private.object.value == 0, h.private.isValid(forRandom: random) else {
                r.status = .capabilityBad
                try? connection.putrep(request, r, [])
                continue
            }
            switch h.command {
            case ProcessCommand.checkpoint.rawValue where h.private.rights == .all:
                lock.lock()
                let first = checkpoint == nil
                if first {
                    checkpoint = Checkpoint(header: h, cause: TerminationCause(rawValue: h.extra) ?? .exception,
                                            detail: h.offset, body: request.data)
                }
                lock.unlock()
                if first {
                    arrived.signal()
                    released.wait()
                }
                r.status = .ok
                try? connection.putrep(request, r, [])
                if first { answered.signal() }
            case StandardCommand.info:
                let text = Array("+migrate server".utf8) + [0]
                r.status = .ok
                r.size = UInt16(text.count)
                try? connection.putrep(request, r, text)
            default:
                r.status = .commandBad
                try? connection.putrep(request, r, [])
            }
        }
    }
}
