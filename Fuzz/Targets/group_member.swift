// fuzz-modules: AmoebaCore FLIP Group
// Arbitrary messages into a running group: a sequencer, a member that
// joined it and a joiner still locating, all on one box so that their own
// traffic (locates, requests, broadcasts, retransmissions) flows between
// them, with time moving on and sends made between the messages. Liveness
// checks and reset rounds are short, so that arbitrary input also drives
// the members through ALIVEREQ, DEAD, REFORMREQ, VOTE, SYNC, RESULT and
// RESULTACK: a member told to reset calls grp_reset, and some inputs make
// one abandon the group. Nothing may trap.

/// Hands every delivery the box produced to the members, until quiet.
private func pump(_ box: FLIPBox, _ members: [GroupMember], now: Instant) {
    for _ in 0..<64 {
        let events = box.takeEvents()
        if events.isEmpty { return }
        for e in events { for m in members { m.handle(e, now: now) } }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let box = FLIPBox()
    _ = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
    var random = FuzzRandom(state: 1)
    var config = GroupConfiguration()
    config.maxGroup = 4
    config.logHistory = 4
    config.locateInterval = .milliseconds(5)
    config.aliveInterval = .milliseconds(20)
    config.aliveRetrials = 2
    config.resetTimeout = .milliseconds(10)
    let port = Port(hex: "010203040506")!
    var now = Instant(microseconds: 1_000_000)
    let sequencer = GroupMember.create(box: box, port: port, configuration: config, using: &random)
    let member = GroupMember.join(box: box, header: Header(port: port), configuration: config, using: &random, now: now)
    var members = [sequencer, member]
    pump(box, members, now: now)
    let joiner = GroupMember.join(box: box, header: Header(port: Port(hex: "0a0b0c0d0e0f")!), configuration: config,
                                  using: &random, now: now)
    members.append(joiner)
    let peer = FLIPAddress(hex: "3333333333333300")!
    // Messages are split at each 0xFE; the byte after it says which member
    // gets it (bits 0-1), whether it came to the group address (bit 2),
    // whether it came from a member's real address (bit 3), and how far
    // time moves on afterwards (the rest, in 10 ms steps).
    var chunks: [[UInt8]] = [[]]
    for b in bytes {
        if b == 0xFE { chunks.append([]) } else { chunks[chunks.count - 1].append(b) }
    }
    for (k, chunk) in chunks.enumerated() {
        let control = chunk.first ?? 0
        let message = Array(chunk.dropFirst())
        let target = members[Int(control & 3) % members.count]
        let source = control & 8 != 0 ? (target === sequencer ? member.address : sequencer.address) : peer
        let destination = control & 4 != 0 ? sequencer.groupPublic : target.address
        target.handle(.deliver(FLIPDelivery(endpoint: target.endpoint, source: source, destination: destination,
                                            message: message, isMulticast: control & 4 != 0)), now: now)
        pump(box, members, now: now)
        if k % 3 == 1 { member.send(Header(command: 1), [UInt8(truncatingIfNeeded: k)], now: now) }
        if k % 5 == 2 { sequencer.send(Header(command: 2), message, now: now) }
        now = now + .milliseconds(Int64(control >> 4) * 10)
        for m in members where (m.nextDeadline ?? now) <= now { m.tick(now: now) }
        pump(box, members, now: now)
        for m in members where k % 4 != 3 {
            for e in m.takeEvents() where e == .resetNeeded {
                m.reset(Header(command: 5), minimum: Int(control >> 6), now: now, using: &random)
            }
            while m.receive(now: now) != nil {}
        }
        if k % 7 == 6 && control & 0x30 == 0x30 {
            // A program killed: its member multicasts DEAD and goes.
            members[Int(control & 1)].abandon(now: now)
        }
        if k % 11 == 10 { member.reset(Header(), minimum: 1, now: now, using: &random) }
        pump(box, members, now: now)
    }
    member.leave(Header(), now: now)
    pump(box, members, now: now)
    _ = sequencer.info
    return 0
}

private struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}
