// What every std tool shares: the options naming the daemon and the
// timeout, and the loop that applies one action to each capability given,
// reports each failure with its Amoeba name, and exits with the code of the
// worst failure so a script can tell "object said no" from "not reached".

import AmoebaCore
import Amunix
import ArgumentParser
import Foundation

public struct DaemonOptions: ParsableArguments {
    @Option(help: "amunixd's socket (default: $AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    public var socket: String?

    @Option(name: .customLong("timeout"),
            help: "Give up on a transaction after this many seconds (default: $AMOEBA_TIMEOUT, else \(Int(DaemonOptions.defaultTimeout))).")
    public var timeoutOption: Double?

    /// Long enough for a port locate (about 5 s) to end in RPC_NOTFOUND on
    /// its own, short enough that a dead host (20 s before the RPC layer
    /// gives up) is reported in seconds.
    public static let defaultTimeout: Double = 8

    /// The timeout in force: --timeout, else AMOEBA_TIMEOUT, else the default.
    public var timeout: Double {
        if let timeoutOption { return timeoutOption }
        if let v = ProcessInfo.processInfo.environment["AMOEBA_TIMEOUT"], let t = Double(v), t > 0, t <= 3600 { return t }
        return Self.defaultTimeout
    }

    public init() {}

    public func validate() throws {
        if let t = timeoutOption, !(t > 0 && t <= 3600) {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds")
        }
        if let v = ProcessInfo.processInfo.environment["AMOEBA_TIMEOUT"], !v.isEmpty {
            guard let t = Double(v), t > 0, t <= 3600 else {
                throw ValidationError("AMOEBA_TIMEOUT=\(v) must be seconds, more than 0 and at most 3600")
            }
        }
    }

    /// A client over a fresh connection, or the failure to make one.
    public func client() throws(ToolError) -> StandardClient {
        do {
            let conn = try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment)
            return StandardClient(connection: conn, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw .daemon(error)
        }
    }
}

/// The objects a std tool acts on, one or more.
public struct ObjectArguments: ParsableArguments {
    @Argument(help: "Objects: capability text (PORT/OBJ(RIGHTS)/CHECK), capability files, published names (sys, tod, random, host) or paths.")
    public var objects: [String]

    public init() {}

    public func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("name at least one object") }
    }
}

public enum ToolRunner {
    /// What every std tool's --help says about its exit status.
    public static let exitStatus =
        "Exit status: 0 ok, 1 an object refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage."

    /// Runs `action` on each argument; prints failures as
    /// `tool: ARG: ERROR_NAME` on stderr; exits with the worst code.
    /// `failed`, when given, also hears each argument's failure (--json
    /// prints it as a line of its own).
    public static func forEach(_ tool: String, _ arguments: [String], options: DaemonOptions,
                               failed: ((String, ToolError) -> Void)? = nil,
                               _ action: (StandardClient, String, Capability) throws(ToolError) -> Void) -> Never {
        var worst: Int32 = 0
        let client: StandardClient
        do {
            client = try options.client()
        } catch {
            fail(tool, nil, error)
            exit(error.exitCode)
        }
        for arg in arguments {
            do {
                let cap = try CapabilityArgument.resolve(arg, connection: client.connection, timeout: client.timeout)
                try action(client, arg, cap)
            } catch {
                fail(tool, arg, error)
                failed?(arg, error)
                worst = max(worst, error.exitCode)
            }
        }
        client.connection.close()
        exit(worst)
    }

    public static func fail(_ tool: String, _ argument: String?, _ error: ToolError) {
        let prefix = argument.map { "\(tool): \($0): " } ?? "\(tool): "
        FileHandle.standardError.write(Data((prefix + error.description + "\n").utf8))
    }

    /// A warning that is not a failure: `tool: ARG: text` on stderr.
    public static func note(_ tool: String, _ argument: String, _ text: String) {
        FileHandle.standardError.write(Data("\(tool): \(argument): \(text)\n".utf8))
    }
}
