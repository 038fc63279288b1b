// The filter a pcap: link gives the kernel (PcapLink.filter): FLIP frames
// to this station and to groups pass; frames to another station on the
// same card (amunixd beside a program's own endpoint) and other protocols
// stay in the kernel, never copied into this capture's ring. Compiled with
// libpcap and run on sample frames, as the kernel would.

import CPcap
@testable import AmunixDaemon
import FLIP
import Testing

@Test func theCaptureTakesOnlyItsOwnAndGroupFrames() throws {
    let me = EthernetAddress(bytes: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55])!
    var program = bpf_program()
    #expect(pcap_compile_nopcap(2048, DLT_EN10MB, &program, PcapLink.filter(for: me), 1, PCAP_NETMASK_UNKNOWN) == 0)
    defer { pcap_freecode(&program) }
    func passes(to destination: [UInt8], type: UInt16 = 0x8146) -> Bool {
        var frame = destination + [0x02, 0x99, 0x99, 0x99, 0x99, 0x99] + [UInt8(type >> 8), UInt8(type & 0xFF)]
        frame += [UInt8](repeating: 0, count: 60 - frame.count)
        return frame.withUnsafeBufferPointer {
            bpf_filter(program.bf_insns, $0.baseAddress!, UInt32($0.count), UInt32($0.count)) != 0
        }
    }
    #expect(passes(to: me.bytes))
    #expect(passes(to: [0x55, 0x55, 0x00, 0x00, 0x00, 0x01]))            // a FLIP group's address
    #expect(passes(to: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
    #expect(passes(to: [0x02, 0x11, 0x22, 0x33, 0x44, 0x56]) == false)   // another station on the card
    #expect(passes(to: me.bytes, type: 0x0800) == false)
}
