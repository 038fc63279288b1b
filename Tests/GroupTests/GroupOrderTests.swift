// The group on the simulated network: every member delivers the same
// sequence, own messages included, with nothing lost and nothing twice,
// also when a fifth of the frames vanish and others arrive twice or late.

import Foundation
import Testing
import AmoebaCore
import FLIP
import Group
import SimNet

/// Every member delivered the same messages under the same numbers; the
/// numbers of what each delivered run without gaps.
func expectAgreement(_ hosts: [GroupHost]) {
    var bySequence: [SequenceNumber: GroupDelivery] = [:]
    for h in hosts {
        var previous: SequenceNumber?
        for d in h.delivered {
            if let p = previous { #expect(d.sequence == p.next) }
            previous = d.sequence
            if let other = bySequence[d.sequence] {
                #expect(other == d)
            } else {
                bySequence[d.sequence] = d
            }
        }
    }
}

@Suite struct GroupOrderTests {
    @Test func threeMembersAgreeOnTheOrder() {
        let (net, hosts, _) = makeGroup(seed: 1, count: 3)
        #expect(hosts.map(\.joined) == [MemberIndex(0), MemberIndex(1), MemberIndex(2)])
        for k in 0..<10 {
            for (i, h) in hosts.enumerated() { h.send(payload(host: i, n: k)) }
        }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount == 30 } }, limit: .seconds(5)))
        expectAgreement(hosts)
        // Joins are in the order too: the sequencer saw both, the second joiner its own.
        #expect(hosts[0].delivered.filter { $0.kind == .join }.map(\.sender) == [MemberIndex(1), MemberIndex(2)])
        #expect(hosts[2].delivered.first?.kind == .join)
        #expect(hosts[2].delivered.first?.header.extra == 2)
        for h in hosts { #expect(h.sent.count == 10) }
        let info = hosts[1].member!.info
        #expect(info.total == 3)
        #expect(info.members == [MemberIndex(0), MemberIndex(1), MemberIndex(2)])
        #expect(info.sequencer == MemberIndex(0))
    }

    @Test func aBigEndianMemberTalksWithLittleEndianOnes() {
        let net = SimNetwork(seed: 7)
        let seg = net.addSegment()
        let hosts = (0..<3).map { GroupHost(net, "h\($0)", on: seg, seed: 70 + UInt64($0)) }
        let port = Port(hex: "b1b2b3b4b5b6")!
        var big = GroupConfiguration.fastTest
        big.byteOrder = .big
        hosts[0].create(port, .fastTest)
        hosts[1].join(port, big)
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].joined != nil }, limit: .seconds(5)))
        hosts[2].join(port, .fastTest)
        #expect(net.run(until: { hosts[2].collect(); return hosts[2].joined != nil }, limit: .seconds(5)))
        for k in 0..<5 { for (i, h) in hosts.enumerated() { h.send(payload(host: i, n: k)) } }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount == 15 } }, limit: .seconds(5)))
        expectAgreement(hosts)
        #expect(hosts[2].messages.filter { $0.data.first == 1 }.map { $0.header.command } == [1, 1, 1, 1, 1])
    }

    @Test func joiningAGroupThatDoesNotExistFails() {
        let net = SimNetwork(seed: 9)
        let seg = net.addSegment()
        let h = GroupHost(net, "lonely", on: seg, seed: 90)
        var c = GroupConfiguration.fastTest
        c.locateMaxHops = 4
        c.locateRetrials = 3
        h.join(Port(hex: "c1c2c3c4c5c6")!, c)
        #expect(net.run(until: { h.collect(); return h.joinError != nil }, limit: .seconds(5)))
        #expect(h.joinError == .bcNoExist)
    }

    @Test(arguments: [(UInt64(11), 5, 1000), (UInt64(12), 3, 1500)])
    func manyMessagesUnderDropDuplicateAndReorder(seed: UInt64, members: Int, each: Int) {
        manyMessages(seed: seed, members: members, each: each)
    }

    /// The full count, 100,000 messages from 5 members: about a
    /// minute and a half in a debug build, so only when GROUP_LONG is set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GROUP_LONG"] != nil))
    func aHundredThousandMessages() {
        manyMessages(seed: 13, members: 5, each: 20_000)
    }
}

extension GroupOrderTests {
    func manyMessages(seed: UInt64, members: Int, each: Int) {
        let faults = FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: seed, count: members, faults: faults)
        #expect(hosts.allSatisfy { $0.joined != nil })
        for k in 0..<each {
            for (i, h) in hosts.enumerated() { h.member!.send(Header(command: 1), payload(host: i, n: k), now: net.now) }
        }
        for h in hosts { net.flush(h.sim) }
        let total = members * each
        let started = net.now
        let clock = ContinuousClock()
        let cpuStart = clock.now
        let done = net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= total } },
                           limit: .seconds(600))
        #expect(done)
        let wall = clock.now - cpuStart
        let virtualMs = (net.now - started).microseconds / 1000
        let seq = hosts[0].member!.statistics
        let retransmitAsks = hosts.reduce(0) { $0 + $1.member!.statistics.retransmitRequests }
        let retries = hosts.reduce(0) { $0 + $1.member!.statistics.requestRetransmissions }
        print("group figures: \(members) members, \(total) messages under 20% drop/dup/reorder: " +
              "\(virtualMs) ms simulated, \(wall) on the host, \(net.framesSent) frames " +
              "(\(net.framesDropped) dropped), \(retries) request retries, \(retransmitAsks) retransmission asks, " +
              "\(seq.retransmissionsAnswered) answered, \(seq.syncs) syncs, \(seq.historyFull) history-full refusals")
        expectAgreement(hosts)
        for h in hosts {
            // Nothing lost, nothing twice: each host's counters 0..<each, in its send order.
            var seen = [[Int]](repeating: [], count: members)
            for m in h.messages { if let (host, n) = decodePayload(m.data) { seen[host].append(n) } }
            for s in seen { #expect(s == Array(0..<each)) }
            #expect(h.sent.count == each)
            #expect(h.failed.isEmpty)
        }
        #expect(net.framesDropped > 0 && net.framesDuplicated > 0 && net.framesReordered > 0)
    }
}

@Suite struct GroupFlowControlTests {
    /// A 16-slot history and a member that never sends: the sequencer
    /// learns where it is only by asking (SYNC, answered by STATE or
    /// RETRANS), and refuses requests while the history is full. The
    /// senders are held back; nothing is lost.
    @Test func aSmallHistoryHoldsSendersBackWithoutLoss() {
        var c = GroupConfiguration.fastTest
        c.logHistory = 4
        let faults = FaultProfile(drop: 0.2, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: 41, count: 4, faults: faults, configuration: c)
        #expect(hosts.allSatisfy { $0.joined != nil })
        let each = 200
        for k in 0..<each {
            for (i, h) in hosts.enumerated().dropLast() { h.member!.send(Header(command: 1), payload(host: i, n: k), now: net.now) }
        }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 3 * each } }, limit: .seconds(600)))
        expectAgreement(hosts)
        for h in hosts {
            var seen = [[Int]](repeating: [], count: 3)
            for m in h.messages { if let (host, n) = decodePayload(m.data) { seen[host].append(n) } }
            #expect(seen == [[Int]](repeating: Array(0..<each), count: 3))
        }
        let s = hosts[0].member!.statistics
        #expect(s.historyFull > 0)
        #expect(s.syncs > 0)
    }
}

@Suite struct GroupSlowReaderTests {
    /// A member whose program stops reading holds the senders back (the
    /// sequencer keeps the history it has not read and orders nothing
    /// beyond it); nobody loses anything, and once it reads again the
    /// group goes on.
    @Test func aSlowReaderHoldsSendersBackNotTheGroupBroken() {
        var c = GroupConfiguration.fastTest
        c.logHistory = 5
        let faults = FaultProfile(drop: 0.1, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: 61, count: 4, faults: faults, configuration: c)
        #expect(hosts.allSatisfy { $0.joined != nil })
        let slow = hosts[3]
        slow.readLimit = 0
        let each = 150
        for k in 0..<each {
            for (i, h) in hosts.enumerated().dropLast() { h.member!.send(Header(command: 1), payload(host: i, n: k), now: net.now) }
        }
        for h in hosts { net.flush(h.sim) }
        net.run(for: .seconds(2))
        for h in hosts { h.collect() }
        // Held back: no more ordered than the slow reader can hold unread.
        let capacity = 1 << 5
        #expect(slow.member!.unreadCount <= capacity)
        #expect(hosts[0].messageCount <= capacity + 1)
        #expect(hosts[0].messageCount > 0)
        #expect(hosts[0].member!.statistics.historyFull > 0)
        #expect(hosts.allSatisfy { $0.failed.isEmpty })
        slow.readLimit = nil
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 3 * each } }, limit: .seconds(600)))
        expectAgreement(hosts)
        for h in hosts {
            var seen = [[Int]](repeating: [], count: 3)
            for m in h.messages { if let (host, n) = decodePayload(m.data) { seen[host].append(n) } }
            #expect(seen == [[Int]](repeating: Array(0..<each), count: 3))
        }
    }
}
