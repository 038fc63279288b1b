// flipdump: what is on the wire, decoded by the same code that sends it.
//
// Three sources: a pcap file (-r, from tcpdump or flipdump -w), a live
// interface through libpcap (-i, root), or a UDP multicast segment joined
// as a silent member (--segment, no root: the demo's and the tests'
// segment). Frames are Ethernet with EtherType 0x8146, bare or inside the
// UDP datagrams of the Ethernet-in-UDP links. Each is printed as a line,
// as every field (-v), or as tab-separated fields (--fields) for scripts.

import AmoebaCore
import AmunixDaemon
import ArgumentParser
import CPcap
import FLIP
import FlipDump
#if canImport(Glibc)
import Glibc
#endif

@main
struct FlipDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flipdump",
        abstract: "Print FLIP frames (Amoeba 5.3 FLIP, RPC and Amoeba headers) from a capture or a live link.",
        discussion: """
            Sources (exactly one):
              -r FILE                 a pcap file (tcpdump -w, flipdump -w)
              -i IFACE                a live interface through libpcap (root)
              --segment mcast:GROUP:PORT[,local=ADDR]
                                      join an Ethernet-in-UDP multicast segment
                                      silently, as amunixd's mcast: link does
            Examples:
              flipdump --segment mcast:239.255.0.7:7000,local=127.0.0.1
              tcpdump -i lo -w /tmp/x.pcap udp port 7001; flipdump -r /tmp/x.pcap -v
              flipdump -i br0 --type unidata --port 4c92f205c55d -w /tmp/rpc.pcap
            """)

    @Option(name: .customShort("r"), help: ArgumentHelp("Read frames from this pcap file.", valueName: "file"))
    var file: String?

    @Option(name: .customShort("i"), help: ArgumentHelp("Capture live on this interface (needs root or CAP_NET_RAW).", valueName: "iface"))
    var interface: String?

    @Option(help: "Join this multicast segment as a silent member (mcast:GROUP:PORT[,local=ADDR][,key=FILE]; a keyed segment needs its key).")
    var segment: String?

    @Flag(name: .customShort("v"), help: "Print every field of each frame.")
    var verbose = false

    @Flag(help: "Print tab-separated fields: FLIP type, source, destination, messid, length, offset, total, amp type, tid, command or status.")
    var fields = false

    @Option(help: "Show only FLIP packets of this type (locate, hereis, unidata, multidata, nothere, untrusted). Repeatable.")
    var type: [String] = []

    @Option(help: "Show only RPC messages for this put-port (12 hex digits).")
    var port: String?

    @Option(help: "Show only packets from or to this FLIP address (16 hex digits).")
    var address: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Also write the frames shown to this pcap file.", valueName: "file"))
    var write: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many frames.", valueName: "count"))
    var count: Int?

    func validate() throws {
        let sources = [file, interface, segment].compactMap { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one source: -r FILE, -i IFACE or --segment mcast:GROUP:PORT") }
        guard !(verbose && fields) else { throw ValidationError("-v and --fields do not go together") }
        if let count, count <= 0 { throw ValidationError("-c wants a positive number") }
        _ = try makeFilter()
    }

    func makeFilter() throws -> FrameFilter {
        var filter = FrameFilter()
        for t in type {
            guard let n = FrameFilter.flipType(named: t) else {
                throw ValidationError("unknown FLIP type '\(t)' (locate, hereis, unidata, multidata, nothere, untrusted)")
            }
            filter.flipTypes.insert(n)
        }
        if let port {
            guard let b = Hex.decode(port), let p = Port(bytes: b) else {
                throw ValidationError("--port wants 12 hex digits, not '\(port)'")
            }
            filter.port = p
        }
        if let address {
            guard let a = FLIPAddress(hex: address) else {
                throw ValidationError("--address wants 16 hex digits, not '\(address)'")
            }
            filter.address = a
        }
        return filter
    }

    func run() throws {
        let filter = try makeFilter()
        var writer: PcapWriter?
        if let write {
            guard let w = PcapWriter(path: write) else {
                throw failure("\(write): cannot create: \(String(cString: strerror(errno)))")
            }
            writer = w
        }
        defer { writer?.close() }
        stopOnSignals()
        var shown = 0
        let show: (_ captured: [UInt8], _ seconds: UInt32, _ microseconds: UInt32) -> Bool = { captured, s, us in
            guard let frame = Capture.flipFrame(in: captured) else { return true }
            let decoded = DecodedFrame(frame: frame)
            guard filter.accepts(decoded) else { return true }
            shown += 1
            if fields {
                print(decoded.fields)
            } else {
                let line = verbose ? decoded.verbose : decoded.summary
                print("\(Self.clock(s, us)) \(line)")
            }
            fflush(nil)   // a line a frame, as it comes, also into a pipe
            writer?.write(frame: frame, seconds: s, microseconds: us)
            if let count, shown >= count { return false }
            return true
        }
        if let file {
            try PcapSource.read(file: file, each: show)
        } else if let interface {
            try PcapSource.live(interface: interface, each: show)
        } else if let segment {
            try SegmentSource.listen(segment, each: show)
        }
    }

    /// Wall-clock time of day as tcpdump prints it.
    static func clock(_ seconds: UInt32, _ microseconds: UInt32) -> String {
        let inDay = Int(seconds) % 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var us = String(microseconds)
        while us.count < 6 { us = "0" + us }
        return "\(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60)).\(us)"
    }
}

/// Says what went wrong on stderr, as every tool here does, and exits 1.
func failure(_ message: String) -> ExitCode {
    var line = "flipdump: \(message)\n"
    line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    return ExitCode(1)
}
