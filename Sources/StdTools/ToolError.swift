// Failures of the std tools and the exit codes scripts rely on.
//
//   0  success
//   1  the server answered with an error (STD_CAPBAD, STD_DENIED, ...)
//   2  the transaction failed (RPC_NOTFOUND, RPC_FAILURE, ...): the server
//      was not reached or did not answer
//   3  amunixd could not be reached on its local socket
//   64 the command line was wrong (as for every argument-parser tool)
//
// Every message names the Amoeba error, so a log line is enough to know
// what happened without the source.

import AmoebaCore
import Amunix

public enum ToolError: Error, CustomStringConvertible, Equatable {
    /// The server or the RPC layer answered with this error.
    case amoeba(ErrorCode)
    /// amunixd is not there.
    case daemon(AmunixError)
    /// The arguments do not make sense.
    case usage(String)

    public var description: String {
        switch self {
        case .amoeba(let code): return code.name
        case .daemon(let e): return e.description
        case .usage(let why): return why
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .amoeba(let code): return code.rawValue > -1000 ? 2 : 1
        case .daemon(let e):
            if case .rpc(let code) = e { return code.rawValue > -1000 ? 2 : 1 }
            return 3
        case .usage: return 64
        }
    }

    static func from(_ e: AmunixError) -> ToolError {
        if case .rpc(let code) = e { return .amoeba(code) }
        return .daemon(e)
    }
}
