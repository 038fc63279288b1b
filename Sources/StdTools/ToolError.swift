// Failures of the std tools and the exit codes scripts rely on.
//
//   0  success
//   1  the server answered with an error (STD_CAPBAD, STD_DENIED, ...)
//   2  the transaction failed (RPC_NOTFOUND, RPC_FAILURE, ...): the server
//      was not reached or did not answer
//   3  amunixd could not be reached on its local socket
//   64 the command line was wrong (as for every argument-parser tool)
//
// Every message says what went wrong in words and names the Amoeba error
// in parentheses, so a person knows what to do and a log line is enough to
// know what happened without the source.

import AmoebaCore
import Amunix
#if canImport(Glibc)
import Glibc
#endif

public enum ToolError: Error, CustomStringConvertible, Equatable {
    /// The server or the RPC layer answered with this error.
    case amoeba(ErrorCode)
    /// This error, in words that fit the situation better than the
    /// generic ones (`is a directory`), and a hint on what to do instead.
    case explained(ErrorCode, what: String, hint: String?)
    /// amunixd is not there.
    case daemon(AmunixError)
    /// The arguments do not make sense.
    case usage(String)

    public var description: String {
        switch self {
        case .amoeba(let code): return ErrorWords.explain(code)
        case .explained(let code, let what, let hint):
            return "\(what) (\(code.name))" + (hint.map { "; \($0)" } ?? "")
        case .daemon(let e): return Self.describe(e)
        case .usage(let why): return why
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .amoeba(let code), .explained(let code, _, _): return code.rawValue > -1000 ? 2 : 1
        case .daemon(let e):
            if case .rpc(let code) = e { return code.rawValue > -1000 ? 2 : 1 }
            return 3
        case .usage: return 64
        }
    }

    /// The Amoeba error behind this failure, if there is one.
    public var code: ErrorCode? {
        switch self {
        case .amoeba(let c), .explained(let c, _, _): return c
        case .daemon(.rpc(let c)): return c
        default: return nil
        }
    }

    static func from(_ e: AmunixError) -> ToolError {
        if case .rpc(let code) = e { return .amoeba(code) }
        return .daemon(e)
    }

    /// The daemon's failures as a user can act on them: which socket, and
    /// the likely cause for the errors connect() gives.
    static func describe(_ e: AmunixError) -> String {
        switch e {
        case .cannotConnect(let path, let n):
            let base = "cannot reach amunixd at \(path)"
            switch n {
            case ENOENT: return "\(base) (is it running? no socket there; --socket or AMUNIX_SOCKET names another)"
            case ECONNREFUSED: return "\(base) (is it running? the socket is there but nobody listens)"
            case EACCES, EPERM: return "\(base): permission denied (is your user in the socket's group?)"
            default: return "\(base): \(String(cString: strerror(n))) (is it running?)"
            }
        case .connectionLost: return "lost the connection to amunixd (did it stop?)"
        case .rpc(let code): return ErrorWords.explain(code)
        case .invalidArgument(let why): return why
        }
    }
}
