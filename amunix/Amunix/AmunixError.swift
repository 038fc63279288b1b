// What can go wrong when a Linux program uses the system through amunixd.
//
// Two different kinds of failure are kept apart on purpose: the daemon can
// be out of reach (a local problem, fixed by starting it), or the
// transaction can fail in the network or at the server (an Amoeba error
// code, which scripts and users recognise by its Amoeba name).

import AmoebaCore
#if canImport(Glibc)
import Glibc
#endif

public enum AmunixError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The daemon's socket could not be reached (errno from connect).
    case cannotConnect(path: String, errno: Int32)
    /// The daemon closed the connection or sent something unreadable.
    case connectionLost
    /// The RPC layer or the daemon ended the call with this Amoeba error.
    case rpc(ErrorCode)
    /// The arguments were refused before anything was sent.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let e):
            // The errno as words: "errno 111" tells a user nothing.
            return "cannot reach amunixd at \(path): \(String(cString: strerror(e))) (is amunixd running? AMUNIX_SOCKET names its socket)"
        case .connectionLost:
            return "lost the connection to amunixd"
        case .rpc(let code):
            return code.name
        case .invalidArgument(let why):
            return why
        }
    }

    /// The Amoeba error this failure amounts to, for messages and exit codes.
    public var code: ErrorCode {
        switch self {
        case .rpc(let c): return c
        case .cannotConnect, .connectionLost: return .rpcFailure
        case .invalidArgument: return .argumentBad
        }
    }
}
