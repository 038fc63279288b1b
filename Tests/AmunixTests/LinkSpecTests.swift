// The link syntax of amunixd's command line: what is accepted, and that
// each refusal says why.

import AmunixDaemon
import Testing

@Suite struct LinkSpecTests {
    @Test func parsesEachKind() throws {
        let u = try LinkSpec(parsing: "udp:7001:127.0.0.1:7002")
        #expect(u.kind == .udp(localPort: 7001, remoteHost: "127.0.0.1", remotePort: 7002))
        #expect(u.weight == 3)
        #expect(!u.faults.isActive)
        let m = try LinkSpec(parsing: "mcast:230.0.0.1:1234,local=127.0.0.1,ttl=0")
        #expect(m.kind == .multicast(group: "230.0.0.1", port: 1234))
        #expect(m.multicastInterface == "127.0.0.1")
        #expect(m.multicastTTL == 0)
        let p = try LinkSpec(parsing: "pcap:eth0,weight=5")
        #expect(p.kind == .pcap(interface: "eth0"))
        #expect(p.weight == 5)
    }

    @Test func parsesFaults() throws {
        let s = try LinkSpec(parsing: "udp:1:h:2,drop=0.2,dup=0.1,reorder=0.3,corrupt=0.01,delay=0.5,maxdelay=7,seed=99")
        #expect(s.faults.drop == 0.2)
        #expect(s.faults.duplicate == 0.1)
        #expect(s.faults.reorder == 0.3)
        #expect(s.faults.corrupt == 0.01)
        #expect(s.faults.delay == 0.5)
        #expect(s.faults.maxDelayMicroseconds == 7000)
        #expect(s.faults.seed == 99)
        #expect(s.faults.isActive)
    }

    /// An Amoeba Ethernet is trusted unless configured otherwise; a UDP
    /// socket anyone on the machine can write to is not, unless told.
    @Test func trustIsPerLinkWithAmoebasDefaultForEthernet() throws {
        #expect(try LinkSpec(parsing: "pcap:eth0").trusted)
        #expect(try !LinkSpec(parsing: "pcap:eth0,trusted=no").trusted)
        #expect(try !LinkSpec(parsing: "udp:1:h:2").trusted)
        #expect(try LinkSpec(parsing: "udp:1:h:2,trusted=yes").trusted)
        #expect(try !LinkSpec(parsing: "mcast:239.1.2.3:5").trusted)
        #expect(try LinkSpec(parsing: "mcast:239.1.2.3:5,local=127.0.0.1,trusted=yes,ttl=0").trusted)
    }

    /// Only key holders can write to a keyed link, so it is trusted unless
    /// told otherwise, whatever the order of the options.
    @Test func aKeyedLinkIsTrustedByDefault() throws {
        #expect(try LinkSpec(parsing: "udp:1:h:2,key=/k").trusted)
        #expect(try LinkSpec(parsing: "mcast:239.1.2.3:5,key=/k,ttl=0").trusted)
        #expect(try !LinkSpec(parsing: "mcast:239.1.2.3:5,key=/k,trusted=no").trusted)
        #expect(try !LinkSpec(parsing: "udp:1:h:2,trusted=no,key=/k").trusted)
        #expect(try LinkSpec(parsing: "udp:1:h:2,key=/k").keyPath == "/k")
    }

    @Test(arguments: [
        ("udp:1:h:2,trusted=maybe", "trusted= is yes or no"),
        ("pcap:eth0,trusted=", "NAME=VALUE"),
        ("pcap:eth0,trusted=1", "trusted= is yes or no"),
        ("", "unknown link type"),
        ("eth:eth0", "unknown link type"),
        ("udp:1:h", "expected udp:"),
        ("udp:x:h:2", "not a port number"),
        ("udp:1::2", "remote host is empty"),
        ("udp:1:h:0", "not a port number"),
        ("mcast:10.0.0.1:5", "not an IPv4 multicast group"),
        ("mcast:230.0.0.1:0", "not a port number"),
        ("pcap:", "expected pcap:IFACE"),
        ("udp:1:h:2,drop=2", "probability"),
        ("udp:1:h:2,drop", "NAME=VALUE"),
        ("udp:1:h:2,colour=red", "probability"),
        ("udp:1:h:2,colour=0.5", "unknown option"),
        ("udp:1:h:2,weight=0", "weight"),
        ("udp:1:h:2,local=127.0.0.1", "mcast: links only"),
    ])
    func refuses(_ text: String, _ why: String) {
        do {
            _ = try LinkSpec(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.contains(why), "\(text): \(error.reason)")
        }
    }
}
