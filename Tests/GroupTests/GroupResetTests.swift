// Reset after a failure: the sequencer or a member dies while messages
// flow, the survivors' programs call grp_reset, and the group goes on
// under a new incarnation. What must hold: the survivors deliver the same
// sequence (the dead member's deliveries agree with it as far as they
// go); every message any sender was told was sent is delivered by every
// survivor, exactly once; the survivors' own queued messages all get
// through after the reset.

import Foundation
import Testing
import AmoebaCore
import FLIP
@testable import Group
import SimNet

/// Each host's counters as `host` delivered them: seen[k] lists k's.
func counters(_ host: GroupHost, hosts: Int) -> [[Int]] {
    var seen = [[Int]](repeating: [], count: hosts)
    for m in host.messages { if let (k, n) = decodePayload(m.data), k < hosts { seen[k].append(n) } }
    return seen
}

/// The counters of what `host` was told it sent.
func toldCounters(_ host: GroupHost) -> [Int] {
    host.toldSent.compactMap { decodePayload($0)?.n }.sorted()
}

@Suite struct GroupResetTests {
    /// The test: five members, r = 1, 20% drop, duplicate and
    /// reorder; the sequencer dies after about a third of the stream.
    @Test(arguments: [UInt64(81), UInt64(82), UInt64(83)])
    func theSequencerKilledMidStreamWithResilienceOne(seed: UInt64) {
        theSequencerKilledMidStreamWithResilienceOne(seed: seed, resilience: 1)
    }

    func theSequencerKilledMidStreamWithResilienceOne(seed: UInt64, resilience: UInt16) {
        var c = GroupConfiguration.fastReset
        c.resilience = resilience
        let faults = FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: seed, count: 5, faults: faults, configuration: c)
        #expect(hosts.allSatisfy { $0.joined != nil })
        let survivors = Array(hosts.dropFirst())
        for h in survivors { h.autoReset = 3 }
        let each = 300
        for k in 0..<each { for (i, h) in hosts.enumerated() { h.queue(payload(host: i, n: k)) } }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts[0].collect(); return hosts[0].messageCount >= 500 }, limit: .seconds(120)))
        hosts[0].collect()
        let toldBySequencer = toldCounters(hosts[0])
        #expect(!toldBySequencer.isEmpty)
        net.kill(hosts[0].sim)
        let killedAt = net.now
        let framesBefore = net.framesSent
        let dropsBefore = net.framesDropped
        // Done when every survivor has every survivor's messages.
        let done = net.run(until: {
            survivors.allSatisfy { h in
                h.collect()
                let seen = counters(h, hosts: 5)
                return (1..<5).allSatisfy { seen[$0].count >= each }
            }
        }, limit: .seconds(300))
        #expect(done)
        let resetMs = survivors.compactMap { $0.lastResetAt }.map { ($0 - killedAt).microseconds / 1000 }.max() ?? -1
        print("group reset figures (seed \(seed), r = \(resilience)): sequencer killed after \(hosts[0].messageCount) of \(5 * each) " +
              "messages, \(toldBySequencer.count) of its own told sent; reset done \(resetMs) ms after the kill; " +
              "\(net.framesSent - framesBefore) frames after it (\(net.framesDropped - dropsBefore) dropped); " +
              "resets coordinated: \(survivors.map { $0.member!.statistics.resets })")
        expectAgreement(hosts)
        let newSequencer = survivors[0].member!.info.sequencer
        #expect(newSequencer != MemberIndex(0))
        for h in survivors {
            #expect(h.resets.last == 4)
            #expect(h.member!.info.sequencer == newSequencer)
            #expect(h.member!.info.total == 4)
            #expect(h.failed.isEmpty)
            #expect(h.sent.count == each)
            let seen = counters(h, hosts: 5)
            for k in 1..<5 { #expect(seen[k] == Array(0..<each)) }
            // The dead sequencer's: in its order, once, and every one it
            // was told was sent.
            #expect(seen[0] == seen[0].sorted() && Set(seen[0]).count == seen[0].count)
            #expect(Set(toldBySequencer).isSubset(of: Set(seen[0])))
            // The reset is in the order too, at the same place everywhere.
            #expect(h.delivered.filter { $0.kind == .reset }.count == h.resets.count)
        }
    }

    /// The same on many seeds, alternating r = 1 and r = 2 (five
    /// members): opt-in, GROUP_SOAK=N runs N seeds (a few seconds each).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GROUP_SOAK"] != nil))
    func theSequencerKilledOnManySeeds() {
        let n = Int(ProcessInfo.processInfo.environment["GROUP_SOAK"] ?? "") ?? 20
        for k in 0..<n { theSequencerKilledMidStreamWithResilienceOne(seed: 1000 + UInt64(k), resilience: UInt16(1 + k % 2)) }
    }

    /// A member (not the sequencer) dies mid-stream under the same faults,
    /// with r = 0 and r = 1: the sequencer finds it silent and resets; with
    /// r = 1 its own tentative messages are made official as it stops.
    @Test(arguments: [UInt16(0), UInt16(1)])
    func aMemberKilledWhileMessagesFlowUnderFaults(r: UInt16) {
        let faults = FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2, maxDelay: .milliseconds(2))
        var c = GroupConfiguration.fastReset
        c.resilience = r
        let (net, hosts, _) = makeGroup(seed: 84, count: 5, faults: faults, configuration: c)
        let dead = hosts[3]
        let survivors = hosts.filter { $0 !== dead }
        for h in survivors { h.autoReset = 2 }
        let each = 300
        for k in 0..<each { for (i, h) in hosts.enumerated() { h.queue(payload(host: i, n: k)) } }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { dead.collect(); return dead.messageCount >= 600 }, limit: .seconds(120)))
        dead.collect()
        let toldByDead = toldCounters(dead)
        net.kill(dead.sim)
        let killedAt = net.now
        let done = net.run(until: {
            survivors.allSatisfy { h in
                h.collect()
                let seen = counters(h, hosts: 5)
                return [0, 1, 2, 4].allSatisfy { seen[$0].count >= each }
            }
        }, limit: .seconds(300))
        #expect(done)
        let resetMs = survivors.compactMap { $0.lastResetAt }.map { ($0 - killedAt).microseconds / 1000 }.max() ?? -1
        print("group reset figures: member killed (r = \(r)), reset done \(resetMs) ms after the kill")
        expectAgreement(hosts)
        for h in survivors {
            #expect(h.resets.last == 4)
            #expect(h.failed.isEmpty)
            let seen = counters(h, hosts: 5)
            for k in [0, 1, 2, 4] { #expect(seen[k] == Array(0..<each)) }
            #expect(seen[3] == seen[3].sorted() && Set(seen[3]).count == seen[3].count)
            #expect(Set(toldByDead).isSubset(of: Set(seen[3])))
        }
    }

    /// A program that ends without leaving: its host multicasts DEAD and
    /// the others stop at once instead of after the liveness checks.
    @Test func aDeadMessageStartsTheResetAtOnce() {
        let (net, hosts, _) = makeGroup(seed: 85, count: 3, configuration: .fastReset)
        for h in hosts.prefix(2) { h.autoReset = 2 }
        hosts[2].member!.abandon(now: net.now)
        net.flush(hosts[2].sim)
        let started = net.now
        #expect(net.run(until: { hosts.prefix(2).allSatisfy { $0.collect(); return $0.resets == [2] } },
                        limit: .seconds(5)))
        // Well under the ten 20 ms checks liveness would take.
        #expect((net.now - started).microseconds < 100_000)
        hosts[1].send(payload(host: 1, n: 0))
        #expect(net.run(until: { hosts.prefix(2).allSatisfy { $0.collect(); return $0.messageCount == 1 } },
                        limit: .seconds(5)))
        expectAgreement(Array(hosts.prefix(2)))
    }

    /// grp_reset on a healthy group returns its size, or BC_ILLRESET when
    /// it is smaller than asked for; nothing stops.
    @Test func aResetThatIsNotNeeded() {
        let (net, hosts, _) = makeGroup(seed: 86, count: 3, configuration: .fastReset)
        hosts[1].member!.reset(Header(), minimum: 3, now: net.now, using: &hosts[1].random)
        hosts[1].member!.reset(Header(), minimum: 4, now: net.now, using: &hosts[1].random)
        hosts[1].collect()
        #expect(hosts[1].resets == [3])
        #expect(hosts[1].resetFailures == [.bcIllegalReset])
        #expect(hosts[0].member!.statistics.resets == 0)
    }

    /// Five members split three and two for longer than liveness allows.
    /// The three rebuild the group and go on; the two cannot reach the
    /// minimum of three and their reset fails. After the cut heals, the two
    /// join again as new members and everyone agrees from then on.
    @Test func aPartitionThatHeals() {
        let (net, hosts, port) = makeGroup(seed: 87, count: 5, configuration: .fastReset)
        for h in hosts { h.autoReset = 3 }
        for k in 0..<20 { for (i, h) in hosts.enumerated() { h.queue(payload(host: i, n: k)) } }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 100 } }, limit: .seconds(30)))
        let majority = Array(hosts.prefix(3))
        let minority = Array(hosts.suffix(2))
        net.partition([majority.map(\.sim), minority.map(\.sim)])
        for k in 20..<40 { for (i, h) in majority.enumerated() { h.queue(payload(host: i, n: k)) } }
        for h in majority { net.flush(h.sim) }
        #expect(net.run(until: {
            majority.allSatisfy { $0.collect(); return $0.resets == [3] && $0.messageCount >= 160 }
                && minority.allSatisfy { $0.collect(); return !$0.resetFailures.isEmpty }
        }, limit: .seconds(30)))
        expectAgreement(hosts)
        for h in minority {
            #expect(h.resets.isEmpty)
            #expect(h.resetFailures.allSatisfy { $0 == .bcFail })
        }
        net.heal()
        net.run(for: .milliseconds(500))
        for h in hosts { h.collect() }
        // The old incarnation's members are not let back in by themselves.
        #expect(majority.allSatisfy { $0.member!.info.total == 3 })
        for h in minority {
            h.member!.abandon(now: net.now)
            h.delivered = []
            h.messageCount = 0
            h.joined = nil
            h.join(port, .fastReset, tag: 9)
            #expect(net.run(until: { h.collect(); return h.joined != nil }, limit: .seconds(10)))
        }
        let from = hosts.map(\.messageCount)
        for k in 40..<60 { for (i, h) in hosts.enumerated() { h.queue(payload(host: i, n: k)) } }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts.enumerated().allSatisfy { $1.collect(); return $1.messageCount >= from[$0] + 100 } },
                        limit: .seconds(30)))
        expectAgreement(hosts)
        #expect(majority[0].member!.info.total == 5)
        for h in hosts {
            let seen = counters(h, hosts: 5)
            for k in 0..<5 { #expect(seen[k].suffix(20) == Array(40..<60)) }
        }
    }
}

@Suite struct GroupLivenessTests {
    /// A member that dies in a quiet group: the sequencer, which watches
    /// every member, asks it ten times 20 ms apart, then stops the group.
    @Test func aSilentMemberIsDeclaredDead() {
        let (net, hosts, _) = makeGroup(seed: 91, count: 3, configuration: .fastReset)
        net.kill(hosts[2].sim)
        let killed = net.now
        #expect(net.run(until: { hosts[0].collect(); return hosts[0].resetsNeeded > 0 }, limit: .seconds(5)))
        let ms = (net.now - killed).microseconds / 1000
        #expect(ms >= 180 && ms <= 260)
        #expect(hosts[0].member!.info.total == 3)   // left out only by the reset
        #expect(hosts[0].member!.slots[2].isDead)
    }

    /// A quiet group on a lossy segment for 20 simulated seconds: the
    /// ALIVEREQ/ALIVE exchange keeps everyone counted alive.
    @Test func aQuietGroupUnderLossStaysAlive() {
        let faults = FaultProfile(drop: 0.1, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: 92, count: 4, faults: faults, configuration: .fastReset)
        net.run(for: .seconds(20))
        for h in hosts { h.collect() }
        #expect(hosts.allSatisfy { $0.resetsNeeded == 0 })
        hosts[3].send(payload(host: 3, n: 0))
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount == 1 } }, limit: .seconds(5)))
    }

    /// Amoeba's retry budget (ten tries, here 100 ms apart; an 8 s sync)
    /// on a segment losing 5% of frames, r = 1, small and three-frame
    /// messages and large ones (method BB): no send runs out of retries and nobody is taken for dead.
    /// Members must count a BCAST as a sign of the sequencer's life (it
    /// names the original sender), and must ask for a gap they see only
    /// below tentative messages.
    @Test(arguments: [10, 3000, 10000])
    func amoebasRetryBudgetSufficesOnALossyLAN(size: Int) {
        var c = GroupConfiguration()
        c.resilience = 1
        c.replyTimeout = .milliseconds(100)
        c.locateInterval = .milliseconds(5)
        let faults = FaultProfile(drop: 0.05, duplicate: 0.05, reorder: 0.05, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: 95, count: 3, faults: faults, configuration: c)
        let pad = [UInt8](repeating: 0x2e, count: size)
        for k in 0..<100 { for (i, h) in hosts.enumerated() { h.queue(payload(host: i, n: k) + pad) } }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.sent.count + $0.failed.count >= 100 } },
                        limit: .seconds(120)))
        #expect(hosts.allSatisfy { $0.failed.isEmpty && $0.resetsNeeded == 0 })
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 300 } }, limit: .seconds(60)))
        expectAgreement(hosts)
    }

    /// A sender finds a dead sequencer within its retries: each request
    /// sent again costs the sequencer a retrial.
    @Test func aSenderFindsTheSequencerDead() {
        var c = GroupConfiguration.fastReset
        c.aliveInterval = .seconds(100)   // only the sender's retries count
        let (net, hosts, _) = makeGroup(seed: 93, count: 3, configuration: c)
        net.kill(hosts[0].sim)
        let killed = net.now
        hosts[1].send(payload(host: 1, n: 0))
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].resetsNeeded > 0 }, limit: .seconds(5)))
        // Ten retries, a 20 ms reply timeout apart.
        #expect((net.now - killed).microseconds <= 220_000)
        #expect(hosts[1].failed.isEmpty)   // the request waits for the reset
    }
}
