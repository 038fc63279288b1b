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
import AmoebaNames
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

/// The path a put's or get's pieces take: the session's daemon, or with
/// `--link` the tool's own endpoint. One type, so the tools hand it to
/// their reader or writer without a branch of their own.
public enum DataTransport: Transactor {
    case daemon(AmunixTransactor)
    case endpoint(EndpointTransactor)

    public func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        switch self {
        case .daemon(let t): try t.transact(header, data)
        case .endpoint(let t): try t.transact(header, data)
        }
    }

    /// Stops the tool's own endpoint, if it has one (the tool exits next:
    /// it does not wait for its packet sockets' end); the daemon's
    /// connection belongs to the session.
    public func close() {
        if case .endpoint(let t) = self { t.endpoint.close(exiting: true) }
    }
}

extension ShellSession {
    /// The daemon's transport, or an endpoint of the tool's own on `link`
    /// with the session's timeout.
    public func dataTransport(link: String?) throws(ToolError) -> DataTransport {
        guard let link else { return .daemon(transport) }
        return .endpoint(try EndpointTransactor(link: link, timeout: transport.timeout))
    }
}

extension ProcessEndpoint.Pipeline: CallPipeline {}

extension DataTransport {
    /// `depth` calls in flight from the calling thread: on the tool's own
    /// endpoint all of them on that thread, through amunixd one thread each.
    public func pipeline(depth: Int) -> any CallPipeline {
        switch self {
        case .daemon(let t): ThreadedPipeline(t, threads: depth)
        case .endpoint(let t): t.endpoint.pipeline(timeout: t.timeout)
        }
    }
}
