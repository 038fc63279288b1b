// The bulk of a put or get over the tool's own FLIP endpoint (`--link`).
//
// Through amunixd every piece of a file crosses the Unix socket and the
// daemon on its way to the wire: two more processes, their copies and
// their wakeups, per 30000 bytes. With `--link` the tool runs the node
// body itself over a link of its own (AmunixEndpoint), as a program's own
// endpoint does for servers and benchmarks, and the file's pieces go
// straight between the tool and the file server. Names are still looked
// up through the daemon: a handful of transactions, and the daemon keeps
// the host's root and working directory.

import AmoebaClient
import AmoebaCore
import AmunixDaemon
import AmunixEndpoint
import StdTools

public struct EndpointTransactor: Transactor {
    public let endpoint: ProcessEndpoint
    public var timeout: Duration?

    /// Opens an endpoint on `link` (pcap:, udp:, mcast:, as amunixd's
    /// --link takes them); a link that does not parse or cannot be opened
    /// (no such interface, no raw-socket rights) is the user's to fix.
    public init(link: String, timeout: Duration?) throws(ToolError) {
        let spec: LinkSpec
        do throws(LinkSpecError) { spec = try LinkSpec(parsing: link) } catch { throw .usage("--link: \(error.description)") }
        do throws(LinkError) { endpoint = try ProcessEndpoint(link: spec) } catch {
            throw .usage("--link: \(error.description)")
        }
        self.timeout = timeout
    }

    public func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        try endpoint.trans(header, data, timeout: timeout)
    }
}
