// Method BB beside PB: a request of `large` bytes or more goes from its
// sender to everybody (the group-all address) and the sequencer answers
// with a short BCAST that only numbers it. Large messages span several
// FLIP fragments; mixed with small ones, under faults, with and without
// resilience, every member still delivers the same bytes in the same order.

import Testing
import AmoebaCore
import FLIP
import Group
import SimNet

/// A message whose size and contents follow from who sent it and its count.
func sized(host: Int, n: Int) -> [UInt8] {
    let size = n % 3 == 0 ? 2500 + (n * 37) % 700 : 40 + (n * 13) % 300
    var d = payload(host: host, n: n)
    for i in 0..<size { d.append(UInt8(truncatingIfNeeded: host &* 31 &+ n &+ i)) }
    return d
}

@Suite struct GroupMethodTests {
    @Test(arguments: [(UInt64(51), UInt16(0)), (UInt64(52), UInt16(1))])
    func largeAndSmallMessagesMix(seed: UInt64, r: UInt16) {
        var c = GroupConfiguration.fastTest
        c.large = 1000
        c.resilience = r
        let faults = FaultProfile(drop: 0.1, duplicate: 0.1, reorder: 0.1, maxDelay: .milliseconds(2))
        let (net, hosts, _) = makeGroup(seed: seed, count: 4, faults: faults, configuration: c)
        #expect(hosts.allSatisfy { $0.joined != nil })
        let each = 60
        for k in 0..<each {
            for (i, h) in hosts.enumerated() { h.member!.send(Header(command: 1), sized(host: i, n: k), now: net.now) }
        }
        for h in hosts { net.flush(h.sim) }
        #expect(net.run(until: { hosts.allSatisfy { $0.collect(); return $0.messageCount >= 4 * each } }, limit: .seconds(600)))
        expectAgreement(hosts)
        for h in hosts {
            var seen = [[Int]](repeating: [], count: 4)
            for m in h.messages {
                guard let (host, n) = decodePayload(Array(m.data.prefix(4))) else { continue }
                #expect(m.data == sized(host: host, n: n))
                seen[host].append(n)
            }
            #expect(seen == [[Int]](repeating: Array(0..<each), count: 4))
        }
        // Members other than the sequencer sent the large ones by BB.
        for h in hosts.dropFirst() { #expect(h.member!.statistics.sentBB >= each / 3) }
        #expect(hosts[0].member!.statistics.sentBB == 0)
        if r == 0 { #expect(hosts[0].member!.statistics.announcedBB >= 3 * each / 3) }
    }
}
