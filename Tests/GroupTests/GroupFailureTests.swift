// What the group does when the network or the sequencer fails, short of
// reset (not implemented yet): an outage that heals costs time, not
// messages; a sequencer that is gone makes sends fail with BC_FAIL once
// the retries run out, instead of hanging.

import Testing
import AmoebaCore
import FLIP
import Group
import SimNet

@Suite struct GroupFailureTests {
    @Test func anOutageThatHealsLosesNothing() {
        let faults = FaultProfile(drop: 0.2, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: 71, count: 4, faults: faults)
        let seg = SegmentID(rawValue: 0)
        let each = 200
        for k in 0..<each {
            for (i, h) in hosts.enumerated() { h.member!.send(Header(command: 1), payload(host: i, n: k), now: net.now) }
        }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts[0].collect(); return hosts[0].messageCount >= 100 }, limit: .seconds(60)))
        // Nothing gets through for a second, then the network comes back.
        net.setFaults(FaultProfile(drop: 1), on: seg)
        net.run(for: .seconds(1))
        for h in hosts { h.collect() }
        let during = hosts[0].messageCount
        net.setFaults(faults, on: seg)
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 4 * each } }, limit: .seconds(600)))
        #expect(during < 4 * each)
        expectAgreement(hosts)
        for h in hosts {
            var seen = [[Int]](repeating: [], count: 4)
            for m in h.messages { if let (host, n) = decodePayload(m.data) { seen[host].append(n) } }
            #expect(seen == [[Int]](repeating: Array(0..<each), count: 4))
            #expect(h.failed.isEmpty)
        }
    }

    @Test func sendsFailWhenTheSequencerIsGone() {
        var c = GroupConfiguration.fastTest
        c.maxRetrials = 5
        let (net, hosts, _) = makeGroup(seed: 72, count: 3, configuration: c)
        net.kill(hosts[0].sim)
        let first = hosts[1].send(payload(host: 1, n: 0))
        let second = hosts[1].send(payload(host: 1, n: 1))
        #expect(net.run(until: { hosts[1].collect(); return hosts[1].failed.count == 2 }, limit: .seconds(5)))
        #expect(hosts[1].failed[first] == .bcFail && hosts[1].failed[second] == .bcFail)
        #expect(hosts[1].sent.isEmpty)
        // Five sends of each, a reply timeout apart.
        #expect(net.now.microseconds >= 2 * 5 * 20_000)
    }
}
