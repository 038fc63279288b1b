// Who this host is on the network, across restarts.
//
// The host's servers (the host directory, sys, tod, random) have secret
// get-ports and check fields. Were they fresh at every start, every
// capability for them, and the /hosts/NAME entries in the name space,
// would die with each restart. So, as a kernel node keeps its hostsecret,
// amunixd keeps them in `STATE/hostsecret` (mode 0600 in a 0700 folder),
// one line per server: KIND GETPORT:CHECK, 12 hex digits each. The file is
// made from fresh randomness the first time and read on every start after.

import AmoebaCore
import Amunix
import NodeServers

enum HostSecret {
    static func path(in stateDirectory: String) -> String { "\(stateDirectory)/hostsecret" }

    /// The identities kept in `stateDirectory`, made and saved first if
    /// there are none (or the file is unreadable or malformed, which is
    /// reported through `warn`).
    static func identities<G: RandomNumberGenerator>(
        in stateDirectory: String, using g: inout G, warn: (String) -> Void
    ) -> [HostedKind: ServiceIdentity] {
        let file = path(in: stateDirectory)
        if let text = PrivateFiles.read(file) {
            if let ids = parse(text) { return ids }
            warn("\(file) is malformed: making a new host identity")
        }
        var ids: [HostedKind: ServiceIdentity] = [:]
        for kind in HostedKind.allCases {
            ids[kind] = ServiceIdentity(getPort: Port.random(using: &g), random: Port.random(using: &g),
                                        object: kind.objectNumber)
        }
        do {
            try PrivateFiles.makeFolder(stateDirectory)
            try PrivateFiles.write(format(ids), to: file)
        } catch {
            warn("cannot keep the host identity: \(error); it will change at the next start")
        }
        return ids
    }

    static func format(_ ids: [HostedKind: ServiceIdentity]) -> String {
        var s = ""
        for kind in HostedKind.allCases {
            guard let id = ids[kind] else { continue }
            s += "\(kind.rawValue) \(Hex.encode(id.getPort.bytes)):\(Hex.encode(id.random.bytes))\n"
        }
        return s
    }

    static func parse(_ text: String) -> [HostedKind: ServiceIdentity]? {
        var ids: [HostedKind: ServiceIdentity] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            let words = line.split(separator: " ")
            guard words.count == 2, let kind = HostedKind(rawValue: String(words[0])) else { return nil }
            let parts = words[1].split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2,
                  let get = Hex.decode(String(parts[0])), let check = Hex.decode(String(parts[1])),
                  let getPort = Port(bytes: get), let random = Port(bytes: check),
                  !getPort.isNull, !random.isNull else { return nil }
            ids[kind] = ServiceIdentity(getPort: getPort, random: random, object: kind.objectNumber)
        }
        return ids.count == HostedKind.allCases.count ? ids : nil
    }
}
