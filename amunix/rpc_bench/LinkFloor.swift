// link-echo / link-ping: a frame ping-pong through a program endpoint's
// own I/O path, with no protocol machines.
//
// The bench compares a null transaction between two own endpoints with a
// ping-pong of raw AF_PACKET frames (floors: one blocking recv, one send
// per side). The endpoint's I/O is not that: it opens its link the way
// `--link` does (a packet socket of its own with a filter, a transmit
// ring), and its driver sleeps as the endpoint's does (DriverSleep: one
// blocking recvmmsg on that socket), then hands over what it took. This
// ping-pong runs exactly that I/O and nothing else, so the gap between the
// two floors is what the I/O path costs beyond recv and send, and the gap
// from here to the endpoint row is the node body and the endpoint's
// bookkeeping. Each part of the gap then has its own figure,
// instead of one ratio that hides which side of the kernel boundary to cut.
//
// A FLIP transaction crosses the link three times: the client acknowledges
// every reply, and its transmit ring carries that acknowledgement out with
// the next request in one system call. `link-ping --acknowledge` does the
// same with a third frame that link-echo reads and drops, so the kernel's
// cost of the third frame shows apart from the protocol's.
//
// Frames are FLIP's EtherType (the capture's filter passes nothing else)
// sent to a station address that no FLIP box uses, so a daemon on the same
// card never takes them.

import AmoebaCore
import AmunixDaemon
import ArgumentParser
import FLIP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What both ends share: the link opened as an endpoint opens it, and the
/// endpoint's wait.
fileprivate struct FloorLink {
    let link: any Link
    let sleeper: any DriverSleep

    init(_ text: String, mac: EthernetAddress) throws {
        let spec = try LinkSpec(parsing: text)
        link = try spec.openForEndpoint(mac: mac)
        sleeper = try driverSleep(for: link)
    }

    /// Waits as the endpoint's driver does (never nudged here). Returns
    /// whether frames came; false may come before `deadline` (a timer
    /// armed for an earlier one), as it does to the driver.
    func waitReadable(until deadline: Instant) -> Bool {
        sleeper.willWait()
        return sleeper.wait(until: deadline).link
    }
}

private func parseMAC(_ text: String) throws -> EthernetAddress {
    let parts = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
    guard parts.count == 6, let mac = EthernetAddress(bytes: parts) else {
        throw ValidationError("not a MAC address: \(text)")
    }
    return mac
}

/// Where a station of the ping-pong sits: the link and its own address.
struct FloorStation: ParsableArguments {
    @Option(help: "The link, as --link takes it (pcap:IFACE).") var link: String
    @Option(help: "This station's MAC address.") var mac: String

    fileprivate func open() throws -> FloorLink { try FloorLink(link, mac: try parseMAC(mac)) }
}

/// Byte 15 of a ping's acknowledgement, which link-echo drops.
private let acknowledgementMark: UInt8 = 0xAA

struct LinkEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-echo",
        abstract: "Reflect every frame to --mac through an endpoint's I/O path (no protocol); the other end of link-ping.")
    @OptionGroup var station: FloorStation

    func run() throws {
        let floor = try station.open()
        var acknowledgements: UInt32 = 0
        while true {
            guard floor.waitReadable(until: MonotonicClock.now + .seconds(1)) else { continue }
            floor.link.receiveAll { frame in
                guard frame.count >= 20 else { return }
                if frame[15] == acknowledgementMark {
                    acknowledgements &+= 1
                    return
                }
                var back = frame
                for i in 0..<6 {
                    back[i] = frame[6 + i]
                    back[6 + i] = frame[i]
                }
                // How many acknowledgements came before this answer, so
                // that link-ping knows every round had its three frames.
                withUnsafeBytes(of: acknowledgements.littleEndian) { for i in 0..<4 { back[16 + i] = $0[i] } }
                floor.link.send(back)
            }
            floor.link.flush()
        }
    }
}

struct LinkPing: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-ping",
        abstract: "Frame ping-pong through an endpoint's I/O path (no protocol): prints \"latency P50 P99\" in µs.")
    @OptionGroup var station: FloorStation
    @Option(help: "The link-echo station's MAC address.") var to: String
    @Option(help: "Frame size in bytes, Ethernet header included (at least 60).") var size = 64
    @Option(help: "Round trips to time.") var count = 10000
    @Flag(help: "Send a third frame per round, as a FLIP client acknowledges a reply: queued when the answer comes, out with the next ping.")
    var acknowledge = false

    func validate() throws {
        guard (60...1514).contains(size) else { throw ValidationError("--size must be 60 to 1514") }
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let own = try parseMAC(station.mac), peer = try parseMAC(to)
        let floor = try station.open()
        var frame = [UInt8](repeating: 0, count: size)
        frame.replaceSubrange(0..<6, with: peer.bytes)
        frame.replaceSubrange(6..<12, with: own.bytes)
        frame[12] = 0x81
        frame[13] = 0x46
        var ack = frame
        ack[15] = acknowledgementMark
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let warmup = min(200, count)
        var seen = 0
        for round in 0..<(count + warmup) {
            let start = DispatchTime.now().uptimeNanoseconds
            frame[14] = UInt8(truncatingIfNeeded: round)
            floor.link.send(frame)
            floor.link.flush()
            var answered = false, misses = 0
            var resendAt = MonotonicClock.now + .milliseconds(200)
            while !answered {
                guard floor.waitReadable(until: resendAt) else {
                    guard MonotonicClock.now >= resendAt else { continue }
                    misses += 1
                    if misses == 10 { throw ValidationError("no answer from \(to) in 2 s: is link-echo running?") }
                    floor.link.send(frame)
                    floor.link.flush()
                    resendAt = MonotonicClock.now + .milliseconds(200)
                    continue
                }
                floor.link.receiveAll { f in
                    if f.count >= 20 && f[14] == UInt8(truncatingIfNeeded: round) {
                        answered = true
                        seen = (0..<4).reduce(0) { $0 | Int(f[16 + $1]) << (8 * $1) }
                    }
                }
            }
            if acknowledge { floor.link.send(ack) }
            if round >= warmup { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000) }
        }
        // Each round's ping follows the acknowledgements of all rounds
        // before it (a resent ping may find one more).
        if acknowledge && seen < count + warmup - 1 {
            throw ValidationError("link-echo saw \(seen) of \(count + warmup - 1) acknowledgements: not a three-frame ping-pong")
        }
        samples.sort()
        func pct(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(String(format: "latency %.1f %.1f", pct(0.5), pct(0.99)))
    }
}
