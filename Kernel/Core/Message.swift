// A request or reply as the local IPC carries it: the 32-byte Amoeba
// header plus a data buffer, the same pair the network RPC carries, so a
// kernel server cannot tell a local caller from a remote one.
//
// What makes a kernel server an Amoeba server, its `ServiceIdentity`, is
// shared with the node servers (sys, tod, random, the kernel directory)
// and lives in NodeServers. KernelCore's servers are built on it, so
// KernelCore hands NodeServers on to whoever imports it.
import AmoebaCore
@_exported import NodeServers

public struct Message: Sendable {
    public var header: Header
    public var body: [UInt8]

    public init(header: Header, body: [UInt8] = []) {
        self.header = header
        self.body = body
    }

    /// A reply carrying only a status.
    public static func status(_ code: ErrorCode) -> Message {
        var h = Header()
        h.status = code
        return Message(header: h)
    }

    /// A successful reply with `text` as its data (std_info, kstat).
    public static func text(_ s: String) -> Message {
        var h = Header()
        h.status = .ok
        let bytes = Array(s.utf8)
        h.size = UInt16(truncatingIfNeeded: bytes.count)
        return Message(header: h, body: bytes)
    }
}

extension Message {
    /// The message a node server's answer makes.
    public init(_ m: NodeMessage) {
        self.init(header: m.header, body: m.data)
    }
}
