// The Ethernet addresses of this host's links, across restarts.
//
// A peer reaches a FLIP address through the MAC it learned it behind. An
// Amoeba host keeps its MAC (it is the card's); were amunixd's fresh at
// every start, a peer's first frame after a restart would be dropped as
// addressed to someone else, no NOTHERE would come back, and the peer's
// call would wait out its whole RPC timeout (20 s) before locating again.
// So the first start makes a random, locally administered base address
// and keeps it in `STATE/mac`; link i uses the base with i added to its
// last byte. A state folder that cannot be written gives random addresses,
// as before, with a warning.

import AmoebaCore
import Amunix
import FLIP

enum LinkAddresses {
    static func path(in stateDirectory: String) -> String { "\(stateDirectory)/mac" }

    /// The base address kept in `stateDirectory`, made and saved first if
    /// there is none (or it is malformed, which is reported through `warn`).
    static func base<G: RandomNumberGenerator>(in stateDirectory: String, using g: inout G,
                                               warn: (String) -> Void) -> EthernetAddress {
        let file = path(in: stateDirectory)
        if let text = PrivateFiles.read(file) {
            if let mac = parse(text) { return mac }
            warn("\(file) is malformed: making new link addresses")
        }
        let mac = randomLocalMAC(using: &g)
        do {
            try PrivateFiles.makeFolder(stateDirectory)
            try PrivateFiles.write(format(mac) + "\n", to: file)
        } catch {
            warn("cannot keep the link addresses: \(error); they will change at the next start")
        }
        return mac
    }

    /// Link `index`'s address: the base with `index` added to its last byte.
    static func address(_ base: EthernetAddress, link index: Int) -> EthernetAddress {
        var b = base.bytes
        b[5] = b[5] &+ UInt8(truncatingIfNeeded: index)
        return EthernetAddress(bytes: b)!
    }

    static func format(_ mac: EthernetAddress) -> String {
        Hex.encode(mac.bytes, separator: ":")
    }

    /// A locally administered unicast address written as six hex pairs.
    static func parse(_ text: String) -> EthernetAddress? {
        let parts = text.split(whereSeparator: { $0 == "\n" }).first?.split(separator: ":") ?? []
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for p in parts {
            guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
            bytes.append(b)
        }
        guard bytes[0] & 0x03 == 0x02 else { return nil }   // locally administered, not a group
        return EthernetAddress(bytes: bytes)
    }
}
