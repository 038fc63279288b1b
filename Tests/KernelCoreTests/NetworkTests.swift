// The pure pieces of the kernel's NIC: the legacy virtqueue layout the
// driver and the device must agree on, the test reflector's rules, and the
// counters' report.
import Testing
@testable import KernelCore

@Test func legacyVirtqueueLayoutMatchesTheDevicesArithmetic() {
    // QEMU's virtio-net queues have 256 entries: 4 KiB of descriptors, the
    // available ring right after, the used ring on the next 4 KiB boundary.
    let q = VirtqueueLayout(size: 256)!
    #expect(q.availableRingOffset == 4096)
    #expect(q.usedRingOffset == 8192)
    #expect(q.totalBytes == 12288)
    #expect(q.descriptorOffset(3) == 48)
    #expect(q.availableEntryOffset(0) == 4096 + 4)
    #expect(q.usedEntryOffset(1) == 8192 + 4 + 8)
    // A small queue still puts the used ring on its own page.
    let small = VirtqueueLayout(size: 16)!
    #expect(small.availableRingOffset == 256)
    #expect(small.usedRingOffset == 4096)
    #expect(small.totalBytes == 8192)
    // The largest legacy queue.
    let big = VirtqueueLayout(size: 32768)!
    #expect(big.usedRingOffset == 16 * 32768 + 4096 * 17)   // 512 KiB + 65542 rounded up
    #expect(big.totalBytes % 4096 == 0)
    for bad in [0, -1, 3, 100, 65536] { #expect(VirtqueueLayout(size: bad) == nil) }
}

private let node: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
private let host: [UInt8] = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x01]

private func frame(to dst: [UInt8], from src: [UInt8], type: [UInt8] = [0x88, 0xB5], payload: [UInt8] = [1, 2, 3]) -> [UInt8] {
    dst + src + type + payload
}

@Test func reflectorSendsTestFramesBackWithAddressesSwapped() {
    let f = frame(to: node, from: host, payload: Array(0..<200))
    #expect(Reflector.reflect(f, ownMAC: node) == frame(to: host, from: node, payload: Array(0..<200)))
    // Header only: still reflected (the driver pads it on the way out).
    #expect(Reflector.reflect(frame(to: node, from: host, payload: []), ownMAC: node) == frame(to: host, from: node, payload: []))
}

@Test func reflectorIgnoresEverythingElse() {
    #expect(Reflector.reflect(frame(to: node, from: host, type: [0x81, 0x46]), ownMAC: node) == nil)   // FLIP
    #expect(Reflector.reflect(frame(to: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], from: host), ownMAC: node) == nil)
    #expect(Reflector.reflect(frame(to: host, from: [0x02, 0, 0, 0, 0, 9]), ownMAC: node) == nil)   // someone else's
    #expect(Reflector.reflect(frame(to: node, from: [0x03, 0, 0, 0, 0, 9]), ownMAC: node) == nil)   // group sender
    #expect(Reflector.reflect(frame(to: node, from: node), ownMAC: node) == nil)                    // its own
    #expect(Reflector.reflect(Array(frame(to: node, from: host).prefix(13)), ownMAC: node) == nil)  // truncated
    #expect(Reflector.reflect([], ownMAC: node) == nil)
    #expect(Reflector.reflect(frame(to: node, from: host), ownMAC: []) == nil)
}

@Test func nicStatisticsReport() {
    var s = NICStatistics()
    s.received = 5; s.rxDropped = 1; s.rxRingFull = 2; s.transmitted = 4; s.txFull = 1; s.interrupts = 3; s.notifications = 6
    #expect(s.text == "received 5, rx dropped 1, rx ring full 2\ntransmitted 4, tx full 1, tx too long 0\ninterrupts 3, notifications 6\n")
}

@Test func trustedWordSaysWhetherTheNetworkIsTrustedAndDefaultsToUntrusted() {
    #expect(LinkTrust.configured(BootCommandLine("net=stats trusted=yes")) == (true, nil))
    #expect(LinkTrust.configured(BootCommandLine("trusted=no")) == (false, nil))
    #expect(LinkTrust.configured(BootCommandLine("net=stats")) == (false, nil))
    // Anything else: untrusted, and the console says why.
    for bad in ["trusted=YES", "trusted=", "trusted=1", "trusted=yes,no", "trusted"] {
        let (trusted, complaint) = LinkTrust.configured(BootCommandLine(bad))
        #expect(!trusted, "\(bad)")
        #expect(complaint?.contains("untrusted") == true, "\(bad)")
    }
}
