// The GroupTests' simulated hosts: each has a node on a shared segment
// and the group members a test puts on it, and records every event the
// members hand back, so a test can compare what each member delivered.

import AmoebaCore
import FLIP
import Group
import Node
import SimNet

/// A seeded generator for member and group addresses.
struct TestRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class GroupHost {
    let sim: SimNode
    let net: SimNetwork
    var member: GroupMember?
    var random: TestRandom
    var delivered: [GroupDelivery] = []
    var sent: [GroupMessageID: SequenceNumber] = [:]
    var failed: [GroupMessageID: ErrorCode] = [:]
    var joined: MemberIndex?
    var joinError: ErrorCode?
    var hasLeft = false
    /// Messages delivered so far, kept so that a run's stop condition need
    /// not walk the deliveries on every step.
    var messageCount = 0
    /// Called for each delivery as it is collected.
    var onDeliver: ((GroupDelivery) -> Void)?
    /// When set, the program answers `.resetNeeded` with grp_reset asking
    /// for at least this many members, as a replicated server would.
    var autoReset: Int?
    var resetsNeeded = 0
    /// grp_reset's outcomes: the new group's sizes, and the failures.
    var resets: [Int] = []
    var resetFailures: [ErrorCode] = []
    /// When the last reset finished, in virtual time.
    var lastResetAt: Instant?

    init(_ net: SimNetwork, _ name: String, on segment: SegmentID, seed: UInt64) {
        self.net = net
        sim = net.addNode(name: name, on: [segment], seed: seed)
        random = TestRandom(state: seed &* 7)
        sim.onOutput = { [unowned self] output in
            if case .upperLayerReady = output { self.collect() }
        }
    }

    func create(_ port: Port, _ configuration: GroupConfiguration) {
        let m = GroupMember.create(box: sim.box, port: port, configuration: configuration, using: &random)
        sim.add(upperLayer: m)
        member = m
        joined = MemberIndex(0)
    }

    func join(_ port: Port, _ configuration: GroupConfiguration, tag: UInt16 = 0) {
        var h = Header(port: port)
        h.extra = tag
        let m = GroupMember.join(box: sim.box, header: h, configuration: configuration, using: &random, now: net.now)
        sim.add(upperLayer: m)
        member = m
        net.flush(sim)
    }

    @discardableResult
    func send(_ data: [UInt8], command: UInt16 = 1) -> GroupMessageID {
        let id = member!.send(Header(command: command), data, now: net.now)
        net.flush(sim)
        collect()
        return id
    }

    /// Queues a message without running the network, keeping its payload
    /// by id so a test can tell which ones the member was told were sent.
    @discardableResult
    func queue(_ data: [UInt8], command: UInt16 = 1) -> GroupMessageID {
        let id = member!.send(Header(command: command), data, now: net.now)
        payloads[id] = data
        return id
    }

    var payloads: [GroupMessageID: [UInt8]] = [:]

    /// The payloads of the messages this member was told were sent.
    var toldSent: [[UInt8]] { sent.keys.compactMap { payloads[$0] } }

    func leave() {
        member!.leave(Header(command: 99), now: net.now)
        net.flush(sim)
        collect()
    }

    /// At most this many messages read per collection (nil: all of them):
    /// a slow reader.
    var readLimit: Int?

    func collect() {
        guard let m = member else { return }
        var taken = 0
        while taken < (readLimit ?? Int.max), let d = m.receive(now: net.now) {
            taken += 1
            delivered.append(d)
            onDeliver?(d)
            if d.kind == .message { messageCount += 1 }
        }
        if taken > 0 { net.flush(sim) }
        for e in m.takeEvents() {
            switch e {
            case .joined(let i): joined = i
            case .joinFailed(let c): joinError = c
            case .sent(let id, let s): sent[id] = s
            case .sendFailed(let id, let c): failed[id] = c
            case .left: hasLeft = true
            case .resetNeeded:
                resetsNeeded += 1
                if let minimum = autoReset {
                    m.reset(Header(command: 77), minimum: minimum, now: net.now, using: &random)
                    net.flush(sim)
                }
            case .reset(let total):
                resets.append(total)
                lastResetAt = net.now
            case .resetFailed(let c): resetFailures.append(c)
            }
        }
    }

    /// What this member delivered, as (sequence, kind, sender, data).
    var messages: [GroupDelivery] { delivered.filter { $0.kind == .message } }
}

/// A segment with `count` hosts, the first creating the group and the
/// others joining it; returns when all have joined.
func makeGroup(seed: UInt64, count: Int, faults: FaultProfile = .none,
               configuration: GroupConfiguration = .fastTest) -> (SimNetwork, [GroupHost], Port) {
    let net = SimNetwork(seed: seed)
    let seg = net.addSegment(faults: faults)
    var hosts: [GroupHost] = []
    for i in 0..<count { hosts.append(GroupHost(net, "h\(i)", on: seg, seed: seed &* 131 &+ UInt64(i) &+ 1)) }
    let port = Port(hex: "a1a2a3a4a5a6")!
    hosts[0].create(port, configuration)
    for h in hosts.dropFirst() {
        h.join(port, configuration, tag: UInt16(hosts.firstIndex { $0 === h }!))
        _ = net.run(until: { h.collect(); return h.joined != nil || h.joinError != nil }, limit: .seconds(30))
    }
    return (net, hosts, port)
}

extension GroupConfiguration {
    /// Amoeba's protocol with timers short enough for a simulated LAN.
    static var fastTest: GroupConfiguration {
        var c = GroupConfiguration()
        c.replyTimeout = .milliseconds(20)
        c.retransmitGap = .milliseconds(3)
        c.syncInterval = .milliseconds(30)
        c.locateInterval = .milliseconds(5)
        c.maxRetrials = 1000
        // Liveness only as a request's retries run out, as Amoeba ties
        // them: these tests ride out long outages without a reset.
        c.aliveRetrials = 1000
        c.aliveInterval = .milliseconds(50)
        return c
    }

    /// Timers for the liveness and reset tests: a silent member is dead
    /// after ten checks 20 ms apart, a reset round lasts 20 ms.
    static var fastReset: GroupConfiguration {
        var c = GroupConfiguration.fastTest
        c.aliveRetrials = 10
        c.aliveInterval = .milliseconds(20)
        c.resetTimeout = .milliseconds(20)
        return c
    }
}

/// The payload a test sends: the sending host and a counter.
func payload(host: Int, n: Int) -> [UInt8] {
    [UInt8(host), UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16)]
}

func decodePayload(_ d: [UInt8]) -> (host: Int, n: Int)? {
    guard d.count == 4 else { return nil }
    return (Int(d[0]), Int(d[1]) | Int(d[2]) << 8 | Int(d[3]) << 16)
}
