import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

/// A server decides what a capability is worth; these tests run a small
/// object server over RPC and present it genuine, restricted, altered and
/// forged capabilities.
@Suite struct CapabilityServerTests {
    static let readRight = Rights(rawValue: 0x01)
    static let writeRight = Rights(rawValue: 0x02)

    /// One object with a secret random; INFO needs read, TOUCH needs write.
    static func objectServer(random: Port) -> (RPCMessage) -> RPCMessage {
        return { req in
            var h = Header()
            let p = req.header.private
            guard p.object.value == 1, p.isValid(forRandom: random) else {
                h.status = .capabilityBad
                return RPCMessage(header: h)
            }
            let needed: Rights = req.header.command == StandardCommand.info ? readRight : writeRight
            guard p.rights.contains(needed) else {
                h.status = .denied
                return RPCMessage(header: h)
            }
            h.status = .ok
            return RPCMessage(header: h, data: Array("-object".utf8))
        }
    }

    @Test func serverRefusesForgedAndAlteredCapabilities() throws {
        let getPort = Port(hex: "55aa55aa55aa")!
        let random = Port(hex: "0123456789ab")!
        let net = SimNetwork(seed: 40)
        let seg = net.addSegment()
        let client = RPCStack(net, name: "c", on: [seg], seed: 41)
        let server = RPCStack(net, name: "s", on: [seg], seed: 42)
        server.serve(getPort, threads: 1, handler: Self.objectServer(random: random))

        let owner = Capability(port: getPort.putPort,
                               private: PrivatePart(object: ObjectNumber(1)!, rights: .all, random: random))
        let readOnly = try Restriction.restrict(owner, to: Self.readRight)

        func status(_ cap: Capability, _ command: UInt16) -> ErrorCode {
            let id = client.trans(RPCMessage(header: Header(capability: cap, command: command)))
            guard net.run(until: { client.results[id] != nil }, limit: .seconds(10)),
                  case .success(let reply) = client.results[id]! else { return .rpcFailure }
            return reply.header.status
        }

        #expect(status(owner, StandardCommand.info) == .ok)
        #expect(status(owner, StandardCommand.touch) == .ok)
        #expect(status(readOnly, StandardCommand.info) == .ok)
        #expect(status(readOnly, StandardCommand.touch) == .denied)

        // Claiming write on the read-only capability breaks its check.
        var upgraded = readOnly
        upgraded.private.rights = Rights(rawValue: 0x03)
        #expect(status(upgraded, StandardCommand.touch) == .capabilityBad)
        // Claiming all rights with the restricted check is refused too.
        upgraded.private.rights = .all
        #expect(status(upgraded, StandardCommand.info) == .capabilityBad)
        // A flipped bit in the check, a guessed check, another object.
        var altered = owner
        altered.private.check = owner.private.check.replacing(byte: 5, with: owner.private.check[5] ^ 1)
        #expect(status(altered, StandardCommand.info) == .capabilityBad)
        var forged = owner
        forged.private.check = Port(hex: "deadbeef0001")!
        #expect(status(forged, StandardCommand.info) == .capabilityBad)
        var other = owner
        other.private.object = ObjectNumber(2)!
        #expect(status(other, StandardCommand.info) == .capabilityBad)
    }
}
