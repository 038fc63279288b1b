// Where rpc_bench's calls go: through amunixd (a connection to the local
// daemon) or through the program's own FLIP endpoint (`--link`), so the
// two paths are measured by the same server and load code.

import AmoebaCore
import Amunix
import AmunixDaemon
import AmunixEndpoint
import ArgumentParser

enum BenchTransport: @unchecked Sendable {
    case daemon(AmunixConnection)
    case endpoint(ProcessEndpoint)

    /// The program's own endpoint on `link` when one is given, else the
    /// daemon at `socket` (or the environment's).
    static func open(link: String?, socket: String?) throws -> BenchTransport {
        if let link {
            let spec: LinkSpec
            do { spec = try LinkSpec(parsing: link) } catch { throw ValidationError(error.description) }
            do { return .endpoint(try ProcessEndpoint(link: spec)) } catch { throw ValidationError(error.description) }
        }
        return .daemon(try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment))
    }

    func trans(_ header: Header, _ data: [UInt8], timeout: Duration?) throws -> (header: Header, data: [UInt8]) {
        switch self {
        case .daemon(let c): return try c.trans(header, data, timeout: timeout)
        case .endpoint(let e): return try e.trans(header, data, timeout: timeout)
        }
    }

    func getreq(_ port: AmoebaCore.Port) throws -> BenchRequest {
        switch self {
        case .daemon(let c): return .daemon(try c.getreq(port))
        case .endpoint(let e): return .endpoint(try e.getreq(port))
        }
    }

    func putrep(_ request: BenchRequest, _ header: Header, _ data: [UInt8]) throws {
        switch (self, request) {
        case (.daemon(let c), .daemon(let r)): try c.putrep(r, header, data)
        case (.endpoint(let e), .endpoint(let r)): e.putrep(r, header, data)
        default: break
        }
    }

    func close() {
        switch self {
        case .daemon(let c): c.close()
        case .endpoint(let e): e.close()
        }
    }
}

enum BenchRequest {
    case daemon(IncomingRequest)
    case endpoint(EndpointRequest)

    var header: Header {
        switch self {
        case .daemon(let r): r.header
        case .endpoint(let r): r.header
        }
    }

    var data: [UInt8] {
        switch self {
        case .daemon(let r): r.data
        case .endpoint(let r): r.data
        }
    }
}
