import Testing
import AmoebaCore
import FLIP
@testable import RPC

/// A HEREIS installs a port's server only when it echoes the tid of a
/// locate this client has out for that port. Port-locate tids used to be
/// millisecond timestamps, so a stranger who never saw the broadcast could
/// answer for any port with a guessed tid and draw the port's requests
/// (capabilities in them) to an address of its own.
@Suite struct ForgedHereIsTests {
    let port = Port(hex: "1a2b3c4d5e6f")!.putPort

    /// A client machine and a forger's endpoint on one box: what the client
    /// multicasts reaches the forger by local delivery.
    final class Bench {
        let box = FLIPBox()
        let client: RPCNode
        let forger: EndpointID
        var seen: [(AmpHeader, [UInt8])] = []
        var now = Instant(microseconds: 5_000_000)

        init() {
            client = RPCNode(box: box, kid: FLIPAddress(hex: "0102030405060700")!,
                             privateAddress: FLIPAddress(hex: "1112131415161700")!)
            forger = box.register(privateAddress: FLIPAddress(hex: "2122232425262700")!)
        }

        /// Delivers what is pending: the client's to the client, and what
        /// reaches the forger is recorded (after the 4-byte protocol word
        /// of a broadcast locate).
        func pump() {
            for _ in 0..<8 {
                let events = box.takeEvents()
                if events.isEmpty { return }
                for e in events {
                    guard case .deliver(let d) = e else { continue }
                    if d.endpoint == forger {
                        var r = BufferReader(d.message, from: d.isMulticast ? 4 : 0)
                        if let amp = try? AmpHeader.decode(from: &r) { seen.append((amp, d.message)) }
                    } else {
                        client.handle(e, now: now)
                    }
                }
            }
        }

        func forgeHereIs(for port: Port, tid: UInt32) {
            let amp = AmpHeader(port: port, type: .hereIs, tid: tid, dest: 1, from: 1)
            box.unicast(amp.encoded(), from: forger, to: client.address, now: now)
            pump()
        }

        var requestsToForger: Int { seen.filter { $0.0.type == .request }.count }
    }

    @Test func anUnaskedHereIsIsIgnored() {
        let b = Bench()
        b.forgeHereIs(for: port, tid: UInt32(truncatingIfNeeded: b.now.microseconds / 1000))
        #expect(b.client.statistics.unsolicitedHereIs == 1)
        _ = b.client.trans(RPCMessage(header: Header(port: port, command: 1)), now: b.now)
        b.pump()
        #expect(b.requestsToForger == 0, "the request went to the forger's address")
        #expect(b.client.statistics.sent[Int(AmpType.locate.rawValue)] == 1, "the call should locate the port")
    }

    @Test func aHereIsWithAGuessedTidIsIgnoredAndTheEchoedOneTaken() {
        let b = Bench()
        _ = b.client.trans(RPCMessage(header: Header(port: port, command: 1)), now: b.now)
        b.pump()
        guard let locate = b.seen.first(where: { $0.0.type == .locate }) else {
            Issue.record("no locate reached the forger's endpoint")
            return
        }
        // A blind guess: the old timestamp tid, and its neighbours.
        let stamp = UInt32(truncatingIfNeeded: b.now.microseconds / 1000)
        for guess in [stamp, stamp &- 1, stamp &+ 1] where guess != locate.0.tid {
            b.forgeHereIs(for: port, tid: guess)
        }
        #expect(b.client.statistics.unsolicitedHereIs == 3)
        #expect(b.requestsToForger == 0)
        // One who sees the broadcast can answer it: the request follows.
        b.forgeHereIs(for: port, tid: locate.0.tid)
        #expect(b.requestsToForger == 1)
    }
}
