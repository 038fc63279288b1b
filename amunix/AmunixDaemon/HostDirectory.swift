// The host directory as a SOAP directory: LIST and LOOKUP.
//
// Every host publishes its servers (sys, tod, random) under its host
// directory. Answering the two reading commands of the SOAP protocol makes
// that directory a part of the name space like any other: `dir` lists it
// and a path such as /hosts/a/host/sys resolves through it, whether the
// tools talk to a Linux host or (later) a kernel node. The directory never
// changes, so the writing commands are refused with STD_DENIED.
//
// Its columns are owner, group and other; every row grants all rights in
// each, so what a caller gets from a lookup is bounded by the columns its
// own capability for the directory selects, as in any SOAP directory.

import AmoebaCore
import Directory
import RPC

extension HostServers {
    static let columns = ["owner", "group", "other"]

    /// The rows: each of the host's servers but the directory itself.
    var rows: [HostedObject] { objects.filter { $0.kind != .host } }

    func directoryReply(_ request: RPCMessage) -> RPCMessage? {
        let h = request.header
        var reply = Header()
        switch h.command {
        case DirectoryCommand.list:
            let masks = [UInt32](repeating: 0xFF, count: HostServers.columns.count)
            guard let page = DirectoryReply.listPage(columns: HostServers.columns,
                                                     rows: rows.map { ($0.kind.rawValue, masks) },
                                                     first: Int(h.extra), limit: Int(h.size)) else {
                reply.status = .overflow
                return RPCMessage(header: reply)
            }
            reply.status = .ok
            reply.extra = page.next
            reply.size = UInt16(clamping: page.data.count)
            return RPCMessage(header: reply, data: page.data)
        case DirectoryCommand.lookup:
            var r = BufferReader(request.data)
            guard let path = try? r.readString(), path.utf8.count <= DirectoryLimits.maxPath else {
                reply.status = .argumentBad
                return RPCMessage(header: reply)
            }
            let parts = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
            var reached = CapabilitySet(Capability(port: h.port, private: h.private))
            var rest = ""
            if let first = parts.first {
                guard let row = rows.first(where: { $0.kind.rawValue == first }) else {
                    reply.status = .notFound
                    return RPCMessage(header: reply)
                }
                guard h.private.rights.rawValue & DirectoryRights.columns(HostServers.columns.count) != 0 else {
                    reply.status = .denied
                    return RPCMessage(header: reply)
                }
                reached = CapabilitySet(row.capability)
                rest = parts.count > 1 ? String(parts[1]) : ""
            }
            var w = BufferWriter()
            do {
                try w.write(string: rest)
                try reached.encode(into: &w)
            } catch {
                reply.status = .overflow
                return RPCMessage(header: reply)
            }
            reply.status = .ok
            reply.size = UInt16(clamping: w.count)
            return RPCMessage(header: reply, data: w.bytes)
        case DirectoryCommand.create, DirectoryCommand.discard, DirectoryCommand.append, DirectoryCommand.chmod,
             DirectoryCommand.delete, DirectoryCommand.install, DirectoryCommand.putType, DirectoryCommand.replace:
            reply.status = .denied
            return RPCMessage(header: reply)
        default:
            return nil
        }
    }
}
