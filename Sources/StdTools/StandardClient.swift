// The standard commands every Amoeba server understands, as calls over the
// local daemon: std_info, std_status, std_restrict, std_destroy, std_touch.
// A reply whose header carries an error status is turned into that error,
// so the tools never print a half-answer as a success.

import AmoebaCore
import AmoebaNames
import Amunix

public struct StandardClient {
    public let connection: AmunixConnection
    public var timeout: Duration?

    public init(connection: AmunixConnection, timeout: Duration? = nil) {
        self.connection = connection
        self.timeout = timeout
    }

    func call(_ cap: Capability, _ command: UInt16, offset: Int32 = 0, size: UInt16 = 0) throws(ToolError) -> (header: Header, data: [UInt8]) {
        var h = Header(capability: cap, command: command)
        h.offset = offset
        h.size = size
        let r: (header: Header, data: [UInt8])
        do {
            r = try SlowCallNotice.watch(timeout: timeout) { () throws(AmunixError) in
                try connection.trans(h, [], timeout: timeout)
            }
        } catch {
            throw ToolError.from(error)
        }
        guard r.header.status == .ok else { throw .amoeba(r.header.status) }
        return r
    }

    /// The object's one-line description.
    public func info(_ cap: Capability) throws(ToolError) -> String {
        let r = try call(cap, StandardCommand.info, size: 30000)
        return String(decoding: r.data, as: UTF8.self)
    }

    /// The object's status report.
    public func status(_ cap: Capability) throws(ToolError) -> String {
        let r = try call(cap, StandardCommand.status, size: 30000)
        return String(decoding: r.data, as: UTF8.self)
    }

    /// `cap` with only the rights in `mask`: computed locally for an owner
    /// capability unless `askServer`, else asked of the server.
    public func restrict(_ cap: Capability, to mask: Rights, askServer: Bool = false) throws(ToolError) -> Capability {
        if !askServer, let local = try? Restriction.restrict(cap, to: mask) { return local }
        let r = try call(cap, StandardCommand.restrict, offset: Int32(mask.rawValue))
        return Capability(port: r.header.port.isNull ? cap.port : r.header.port, private: r.header.private)
    }

    public func destroy(_ cap: Capability) throws(ToolError) {
        _ = try call(cap, StandardCommand.destroy)
    }

    public func touch(_ cap: Capability) throws(ToolError) {
        _ = try call(cap, StandardCommand.touch)
    }
}
