// How a program reaches the network: through the host's amunixd (a local
// connection) or through a FLIP endpoint of its own (`--link`). Servers
// and benchmarks take either with the same three calls, so a program
// chooses its path on the command line and its code does not change.
//
// What only the daemon offers stays with the daemon: group communication
// (a daemon hosts each member), and the host's own servers.

import AmoebaCore
import Amunix
import AmunixDaemon

public enum NetworkAccess: @unchecked Sendable {
    case daemon(AmunixConnection)
    case endpoint(ProcessEndpoint)

    /// The program's own endpoint on `link` (pcap:, udp:, mcast:) when one
    /// is given, else a connection to the daemon at `socket` (default:
    /// `AMUNIX_SOCKET`, then /run/amunix/amunixd.sock).
    public static func open(link: String?, socket: String?) throws(NetworkAccessError) -> NetworkAccess {
        if let link {
            let spec: LinkSpec
            do { spec = try LinkSpec(parsing: link) } catch { throw .badLink(error.description) }
            do { return .endpoint(try ProcessEndpoint(link: spec)) } catch { throw .linkFailed(error.description) }
        }
        do {
            return .daemon(try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment))
        } catch {
            throw .noDaemon(error)
        }
    }

    public func trans(_ header: Header, _ data: [UInt8] = [],
                      timeout: Duration? = nil) throws(AmunixError) -> (header: Header, data: [UInt8]) {
        switch self {
        case .daemon(let c): return try c.trans(header, data, timeout: timeout)
        case .endpoint(let e):
            do throws(ErrorCode) { return try e.trans(header, data, timeout: timeout) } catch { throw .rpc(error) }
        }
    }

    public func getreq(_ port: AmoebaCore.Port) throws(AmunixError) -> AccessRequest {
        switch self {
        case .daemon(let c): return .daemon(try c.getreq(port))
        case .endpoint(let e):
            do throws(ErrorCode) { return .endpoint(try e.getreq(port)) } catch { throw .rpc(error) }
        }
    }

    public func putrep(_ request: AccessRequest, _ header: Header, _ data: [UInt8] = []) throws(AmunixError) {
        switch (self, request) {
        case (.daemon(let c), .daemon(let r)): try c.putrep(r, header, data)
        case (.endpoint(let e), .endpoint(let r)): e.putrep(r, header, data)
        default: throw .invalidArgument("putrep of a request that came another way")
        }
    }

    public func close() {
        switch self {
        case .daemon(let c): c.close()
        case .endpoint(let e): e.close()
        }
    }
}

/// A request from `NetworkAccess.getreq`; give it back to `putrep`.
public enum AccessRequest: Sendable {
    case daemon(IncomingRequest)
    case endpoint(EndpointRequest)

    public var header: Header {
        switch self {
        case .daemon(let r): r.header
        case .endpoint(let r): r.header
        }
    }

    public var data: [UInt8] {
        switch self {
        case .daemon(let r): r.data
        case .endpoint(let r): r.data
        }
    }
}

public enum NetworkAccessError: Error, CustomStringConvertible {
    /// The --link text does not parse.
    case badLink(String)
    /// The link parsed but could not be opened (no interface, no rights).
    case linkFailed(String)
    /// No daemon answered at the socket.
    case noDaemon(AmunixError)

    public var description: String {
        switch self {
        case .badLink(let why), .linkFailed(let why): why
        case .noDaemon(let e): e.description
        }
    }
}
