// From a link's command-line form to an open link.
//
// amunixd opens one link per `--link`, and a program with its own FLIP
// endpoint (AmunixEndpoint) opens one too: both go through here, so a
// `pcap:`, `udp:` or `mcast:` text means the same socket, the same filter
// and the same seal wherever it is written.

import FLIP

extension LinkSpec {
    /// Opens the link for amunixd. `mac` is the address a link without a
    /// card of its own (udp:, mcast:) uses; a pcap: link uses its
    /// interface's, as a host's FLIP box has its card's.
    public func open(mac: EthernetAddress) throws(LinkError) -> any Link {
        switch kind {
        case .udp(let localPort, let host, let remotePort):
            return try UDPLink(name: text, localPort: localPort, remoteHost: host, remotePort: remotePort,
                               mac: mac, keyPath: keyPath)
        case .multicast(let group, let port):
            return try UDPLink(name: text, group: group, port: port, interface: multicastInterface,
                               ttl: multicastTTL, mac: mac, keyPath: keyPath)
        case .pcap(let interface):
            return try PcapLink(name: text, interface: interface, mtu: mtu)
        }
    }

    /// Opens the link for a program's own endpoint (AmunixEndpoint), a
    /// station of its own with address `mac` on a pcap: link too, so that
    /// amunixd on the same card neither takes its frames nor answers them
    /// NOTHERE: there a packet socket of the program's own, which its
    /// driver sleeps in (PacketSocketLink); udp: and mcast: as `open`
    /// makes them.
    public func openForEndpoint(mac: EthernetAddress) throws(LinkError) -> any Link {
        if case .pcap(let interface) = kind {
            return try PacketSocketLink(name: text, interface: interface, mac: mac, mtu: mtu)
        }
        return try open(mac: mac)
    }
}
