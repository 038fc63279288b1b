// The command-line form of a link, parsed before anything is opened.
//
//   udp:LOCALPORT:REMOTEHOST:REMOTEPORT   Ethernet in UDP, point to point
//   mcast:GROUP:PORT                      Ethernet in UDP multicast
//   pcap:IFACE                            raw Ethernet (root)
//
// A multicast link takes `local=ADDR` (the interface to use, QEMU's
// localaddr) and `ttl=N`. Any link may be followed by options after commas: the FLIP hop
// weight (`weight=3`) and a seeded fault injector on frames this host sends
// (`drop=0.2,dup=0.2,reorder=0.2,corrupt=0.01,delay=0.1,maxdelay=5,seed=7`;
// probabilities per frame, maxdelay in milliseconds). A udp: or mcast: link
// takes `key=PATH`: the segment's key file (see SegmentKey.swift).
//
// `trusted=yes|no` says whether the link is a trusted FLIP network: what
// arrives on it is believed about its source, and packets that ask for
// security (the SECURITY flag) may cross it; what crosses an untrusted one
// is marked UNSAFE, and an Amoeba node will not route secure traffic to us
// over it. An Amoeba Ethernet is trusted unless configured otherwise, so a
// pcap: link is too. An unkeyed udp: or mcast: link is not by default: any
// program on the machine can send to its socket (and join the group), so
// it cannot vouch for a frame's source. A keyed one is: only holders of the
// key can seal a datagram that opens (SegmentSeal), so its frames are as
// believable as a private Ethernet's. trusted= overrides either default.
//
// `mtu=N` (pcap: only, 1500 to 9000) lets frames on the link carry N bytes
// of Ethernet payload instead of 1500: jumbo frames, for a segment whose
// every station (cards, switches, each amunixd and program endpoint on it)
// is set alike; see LinkMTU.swift.

import FLIP

public struct LinkSpec: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case udp(localPort: UInt16, remoteHost: String, remotePort: UInt16)
        case multicast(group: String, port: UInt16)
        case pcap(interface: String)
    }

    public var kind: Kind
    public var weight: UInt16 = 3
    public var faults: FaultSettings = .none
    /// Multicast only: the local address whose interface carries the
    /// group (QEMU's localaddr=; 127.0.0.1 keeps the segment on this
    /// machine), and the datagrams' TTL (0: never leave the host).
    public var multicastInterface: String?
    public var multicastTTL: UInt8 = 1
    /// udp and mcast only: the file holding the segment's key; every
    /// datagram is sealed with it, and what does not open is dropped.
    public var keyPath: String?
    /// A trusted FLIP network (see above): pcap: and keyed links by
    /// default, unkeyed udp: and mcast: only when told.
    public var trusted: Bool
    /// The Ethernet payload a frame on the link may carry (LinkMTU.swift).
    public var mtu = EthernetFrame.mtu
    public var text: String

    public init(parsing text: String) throws(LinkSpecError) {
        self.text = text
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let fields = pieces[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch fields[0] {
        case "udp":
            guard fields.count == 4 else { throw .init(text, "expected udp:LOCALPORT:REMOTEHOST:REMOTEPORT") }
            guard let lp = UInt16(fields[1]) else { throw .init(text, "local port \(fields[1]) is not a port number") }
            guard !fields[2].isEmpty else { throw .init(text, "remote host is empty") }
            guard let rp = UInt16(fields[3]), rp != 0 else { throw .init(text, "remote port \(fields[3]) is not a port number") }
            kind = .udp(localPort: lp, remoteHost: fields[2], remotePort: rp)
        case "mcast":
            guard fields.count == 3 else { throw .init(text, "expected mcast:GROUP:PORT") }
            guard let p = UInt16(fields[2]), p != 0 else { throw .init(text, "port \(fields[2]) is not a port number") }
            let octets = fields[1].split(separator: ".").compactMap { UInt8($0) }
            guard octets.count == 4, (224...239).contains(octets[0]) else {
                throw .init(text, "\(fields[1]) is not an IPv4 multicast group (224.0.0.0 to 239.255.255.255)")
            }
            kind = .multicast(group: fields[1], port: p)
        case "pcap":
            guard fields.count == 2, !fields[1].isEmpty else { throw .init(text, "expected pcap:IFACE") }
            kind = .pcap(interface: fields[1])
        default:
            throw .init(text, "unknown link type \(fields[0]) (use udp:, mcast: or pcap:)")
        }
        if case .pcap = kind { trusted = true } else { trusted = false }
        var trustGiven = false
        for option in pieces.dropFirst() {
            let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw .init(text, "option \(option) is not NAME=VALUE") }
            let (key, value) = (kv[0], kv[1])
            if key == "weight" {
                guard let w = UInt16(value), w >= 1, w <= 25 else { throw .init(text, "weight must be 1 to 25") }
                weight = w
                continue
            }
            if key == "local" {
                guard case .multicast = kind, value.split(separator: ".").compactMap({ UInt8($0) }).count == 4 else {
                    throw .init(text, "local= is an IPv4 address, for mcast: links only")
                }
                multicastInterface = value
                continue
            }
            if key == "key" {
                if case .pcap = kind { throw .init(text, "key= is for udp: and mcast: links (a pcap wire is its own boundary)") }
                guard !value.isEmpty else { throw .init(text, "key= names a file") }
                keyPath = value
                continue
            }
            if key == "trusted" {
                switch value {
                case "yes": trusted = true
                case "no": trusted = false
                default: throw .init(text, "trusted= is yes or no")
                }
                trustGiven = true
                continue
            }
            if key == "mtu" {
                guard case .pcap = kind else { throw .init(text, "mtu= is for pcap: links only") }
                guard let m = Int(value), LinkSpec.mtuRange.contains(m) else {
                    throw .init(text, "mtu= is \(LinkSpec.mtuRange.lowerBound) to \(LinkSpec.mtuRange.upperBound)")
                }
                mtu = m
                continue
            }
            if key == "ttl" {
                guard case .multicast = kind, let t = UInt8(value) else { throw .init(text, "ttl= is 0 to 255, for mcast: links only") }
                multicastTTL = t
                continue
            }
            if key == "seed" {
                guard let s = UInt64(value) else { throw .init(text, "seed must be an unsigned integer") }
                faults.seed = s
                continue
            }
            if key == "maxdelay" {
                guard let ms = Int64(value), ms >= 0, ms <= 10_000 else { throw .init(text, "maxdelay must be 0 to 10000 ms") }
                faults.maxDelayMicroseconds = ms * 1000
                continue
            }
            guard let p = Double(value), p >= 0, p <= 1 else {
                throw .init(text, "\(key) must be a probability from 0 to 1")
            }
            switch key {
            case "drop": faults.drop = p
            case "dup", "duplicate": faults.duplicate = p
            case "reorder": faults.reorder = p
            case "corrupt": faults.corrupt = p
            case "delay": faults.delay = p
            default: throw .init(text, "unknown option \(key)")
            }
        }
        if keyPath != nil && !trustGiven { trusted = true }
    }
}

public struct LinkSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var link: String
    public var reason: String
    init(_ link: String, _ reason: String) {
        self.link = link
        self.reason = reason
    }
    public var description: String { "link \"\(link)\": \(reason)" }
}
