// Jumbo frames on a pcap: link (`mtu=`, LinkMTU.swift): what the option
// accepts, the fragment size a node on its links takes, and the room each
// frame buffer gets. That the frames really cross at that size, and a
// long message in fewer of them, is tested between two endpoints on the
// loopback interface (AmunixEndpointTests/JumboFrameTests.swift).

@testable import AmunixDaemon
import FLIP
import Testing

@Suite struct LinkMTUTests {
    @Test func aPcapLinkTakesAnMTU() throws {
        let plain = try LinkSpec(parsing: "pcap:eth0")
        #expect(plain.mtu == 1500)
        #expect(plain.fragmentData == 1458)
        #expect(plain.frameBytes == 1514)
        let jumbo = try LinkSpec(parsing: "pcap:eth0,mtu=9000,weight=5")
        #expect(jumbo.mtu == 9000)
        #expect(jumbo.weight == 5)
        #expect(jumbo.fragmentData == 9000 - 2 - 40)
        #expect(jumbo.frameBytes == 9014)
    }

    @Test(arguments: [
        ("pcap:eth0,mtu=1499", "mtu= is 1500 to 9000"),
        ("pcap:eth0,mtu=9001", "mtu= is 1500 to 9000"),
        ("pcap:eth0,mtu=big", "mtu= is 1500 to 9000"),
        ("udp:1:h:2,mtu=9000", "mtu= is for pcap: links only"),
        ("mcast:239.1.2.3:5,mtu=9000", "mtu= is for pcap: links only"),
    ])
    func refusals(text: String, reason: String) {
        #expect(throws: LinkSpecError.self) { try LinkSpec(parsing: text) }
        do {
            _ = try LinkSpec(parsing: text)
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    /// A box cuts every message alike, so a node fragments for its
    /// smallest link; with no links, or plain ones, Ethernet's 1458.
    @Test func aNodeFragmentsForItsSmallestLink() throws {
        let jumbo = try LinkSpec(parsing: "pcap:a,mtu=9000")
        let middle = try LinkSpec(parsing: "pcap:b,mtu=4000")
        let plain = try LinkSpec(parsing: "udp:1:h:2")
        #expect(LinkSpec.fragmentData(of: []) == EthernetFrame.maxData)
        #expect(LinkSpec.fragmentData(of: [plain]) == EthernetFrame.maxData)
        #expect(LinkSpec.fragmentData(of: [jumbo]) == 8958)
        #expect(LinkSpec.fragmentData(of: [jumbo, middle]) == 3958)
        #expect(LinkSpec.fragmentData(of: [jumbo, plain]) == EthernetFrame.maxData)
        var base = DaemonConfiguration.hostFLIP
        base.creditGrant = 7
        let flip = LinkSpec.flip(base, on: [jumbo])
        #expect(flip.maxFragmentData == 8958)
        #expect(flip.creditGrant == 7)
    }

    /// Every buffer that holds a frame holds the link's longest one.
    @Test func framesFitTheirRooms() {
        #expect(LinkFrames.room(forFrameBytes: 1514) == FrameBatch.frameRoom)
        #expect(LinkFrames.room(forFrameBytes: 9014) >= 9014)
        #expect(LinkFrames.room(forFrameBytes: 9014) % 16 == 0)
        #expect(PacketTxRing.slotSize(forFrameBytes: 1514) == 2048)
        let slot = PacketTxRing.slotSize(forFrameBytes: 9014)
        #expect(slot >= PacketTxRing.dataOffset + 10 + 9014)
        #expect(slot & (slot - 1) == 0, "a power of two, so whole slots fill a block")
        #expect(LinkFrames.buffer(8 << 20, forFrameBytes: 1514) == 8 << 20)
        #expect(LinkFrames.buffer(8 << 20, forFrameBytes: 9014) >= (8 << 20) * 5)
        let batch = FrameBatch(room: LinkFrames.room(forFrameBytes: 9014))
        #expect(batch.append([UInt8](repeating: 1, count: 9014)))
        #expect(!batch.append([UInt8](repeating: 1, count: 9014 + batch.room)))
        #expect(!FrameBatch().append([UInt8](repeating: 1, count: 9014)), "a plain batch has no room for a jumbo frame")
    }

    /// An interface that cannot carry the frames is refused when the link
    /// opens, not left to lose every long message.
    @Test func aLinkLargerThanItsInterfaceIsRefused() throws {
        guard let mtu = LinkFrames.interfaceMTU("lo") else { return }
        #expect(mtu >= 1500)
        #expect(throws: Never.self) { try LinkFrames.check("lo", mtu: min(mtu, 9000), name: "t") }
        #expect(throws: LinkError.self) { try LinkFrames.check("no-such-if0", mtu: 9000, name: "t") }
        #expect(throws: Never.self) { try LinkFrames.check("no-such-if0", mtu: 1500, name: "t") }
    }
}
