// Members come and go while messages flow: a joiner starts at its own
// JOIN and from there sees what everybody else sees; a leaver's last
// delivery is its LEAVE; those who stay miss nothing, and a left member's
// slot can be taken by a newcomer.

import Testing
import AmoebaCore
import FLIP
import Group
import SimNet

@Suite struct GroupMembershipTests {
    @Test func joinAndLeaveWhileMessagesFlow() {
        let faults = FaultProfile(drop: 0.1, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, founders, port) = makeGroup(seed: 21, count: 3, faults: faults)
        #expect(founders.allSatisfy { $0.joined != nil })
        let seg = SegmentID(rawValue: 0)
        let late = GroupHost(net, "late", on: seg, seed: 2100)
        let counts = [400, 400, 100]
        for (i, h) in founders.enumerated() {
            for k in 0..<counts[i] { h.member!.send(Header(command: 1), payload(host: i, n: k), now: net.now) }
            net.flush(h.sim)
        }
        // The third founder leaves once its messages are out (its LEAVE is
        // queued behind them); the newcomer joins part-way.
        founders[2].leave()
        #expect(net.run(until: { founders[0].collect(); return founders[0].messageCount >= 150 }, limit: .seconds(60)))
        late.join(port, .fastTest, tag: 7)
        #expect(net.run(until: { late.collect(); return late.joined != nil }, limit: .seconds(60)))
        for k in 0..<100 { late.member!.send(Header(command: 1), payload(host: 3, n: k), now: net.now) }
        net.flush(late.sim)
        let stayers = [founders[0], founders[1], late]
        let total = 400 + 400 + 100 + 100
        #expect(net.run(until: { stayers.allSatisfy { $0.collect(); return true } &&
                                  founders[0].messageCount >= total && founders[2].hasLeft &&
                                  late.sent.count == 100 && founders[1].messageCount >= total },
                        limit: .seconds(120)))
        // Let stragglers catch up to the same point.
        let last = founders[0].delivered.last!.sequence
        #expect(net.run(until: { stayers.allSatisfy { $0.collect(); return $0.delivered.last?.sequence == last } },
                        limit: .seconds(60)))
        let all = founders + [late]
        expectAgreement(all)

        // The leaver: everything up to its LEAVE, which came last.
        #expect(founders[2].hasLeft)
        #expect(founders[2].delivered.last?.kind == .leave)
        #expect(founders[2].delivered.last?.sender == founders[2].joined)
        #expect(founders[2].sent.count == 100)
        // The newcomer: starts at its own JOIN, then everything after it.
        #expect(late.delivered.first?.kind == .join)
        #expect(late.delivered.first?.header.extra == 7)
        let joinedAt = late.delivered.first!.sequence
        #expect(founders[0].delivered.filter { $0.sequence >= joinedAt } == late.delivered)
        // The founders who stayed got every message of every sender, once.
        for h in founders.prefix(2) {
            var seen = [[Int]](repeating: [], count: 4)
            for m in h.messages { if let (host, n) = decodePayload(m.data) { seen[host].append(n) } }
            #expect(seen == [Array(0..<400), Array(0..<400), Array(0..<100), Array(0..<100)])
        }
        let info = founders[0].member!.info
        #expect(info.total == 3)
        #expect(info.members == [MemberIndex(0), MemberIndex(1), late.joined!])
    }

    @Test func aNewcomerTakesTheSlotALeaverFreed() {
        let (net, hosts, port) = makeGroup(seed: 22, count: 3)
        hosts[1].leave()
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].hasLeft }, limit: .seconds(5)))
        #expect(net.run(until: { hosts[2].collect(); return hosts[2].delivered.last?.kind == .leave }, limit: .seconds(5)))
        #expect(hosts[2].member!.info.members == [MemberIndex(0), MemberIndex(2)])
        // A member that left can send no more.
        let id = hosts[1].send([1])
        #expect(hosts[1].failed[id] == .bcFail)
        let again = GroupHost(net, "again", on: SegmentID(rawValue: 0), seed: 2200)
        again.join(port, .fastTest)
        #expect(net.run(until: { again.collect(); return again.joined != nil }, limit: .seconds(5)))
        #expect(again.joined == MemberIndex(1))
        again.send(payload(host: 9, n: 1))
        #expect(net.run(until: { [hosts[0], hosts[2], again].allSatisfy { $0.collect(); return $0.messageCount == 1 } },
                        limit: .seconds(5)))
        expectAgreement([hosts[0], hosts[2], again])
    }

    @Test func theSequencerMayLeaveOnlyLast() {
        let (net, hosts, _) = makeGroup(seed: 23, count: 2)
        hosts[0].leave()
        #expect(hosts[0].failed.values.contains(.bcFail))
        hosts[1].leave()
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].hasLeft }, limit: .seconds(5)))
        hosts[0].leave()
        #expect(net.run(until: { hosts[0].collect(); return hosts[0].hasLeft }, limit: .seconds(5)))
        #expect(hosts[0].delivered.map(\.kind) == [.join, .leave, .leave])
    }
}

@Suite struct GroupParameterTests {
    /// A joiner takes the group's sizes from HEREIS, whatever its own
    /// configuration says.
    @Test func aJoinerAdoptsTheGroupsSizes() {
        let net = SimNetwork(seed: 24)
        let seg = net.addSegment()
        let hosts = (0..<2).map { GroupHost(net, "h\($0)", on: seg, seed: 240 + UInt64($0)) }
        let port = Port(hex: "d1d2d3d4d5d6")!
        var groupConfig = GroupConfiguration.fastTest
        groupConfig.maxGroup = 5
        groupConfig.logHistory = 4
        // The joiner, configured without, must acknowledge for r = 1.
        groupConfig.resilience = 1
        groupConfig.large = 200
        var joinerConfig = GroupConfiguration.fastTest
        joinerConfig.maxGroup = 64
        joinerConfig.logHistory = 9
        hosts[0].create(port, groupConfig)
        hosts[1].join(port, joinerConfig)
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].joined != nil }, limit: .seconds(5)))
        // Every other message is large enough for BB by the group's measure.
        for k in 0..<100 {
            hosts[1].member!.send(Header(command: 1), payload(host: 1, n: k) + [UInt8](repeating: 7, count: k % 2 * 300),
                                  now: net.now)
        }
        net.flush(hosts[1].sim)
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount == 100 } }, limit: .seconds(10)))
        expectAgreement(hosts)
        #expect(hosts[1].member!.statistics.acknowledgementsSent >= 100)
        #expect(hosts[1].member!.statistics.sentBB == 50)
    }
}
