// The test reflector: a frame of EtherType 0x88B5 (IEEE 802 local
// experimental) addressed to this node goes straight back to its sender,
// the two MAC addresses swapped and everything after them unchanged. The
// host-side tests and benchmarks use it as the floor a kernel node can
// answer at: NIC, interrupt, thread, and back, with no protocol on top.
//
// Only frames addressed to this node's own MAC from a unicast sender that
// is not this node are reflected: on a shared link every node hears every
// frame (QEMU's NIC is promiscuous), and reflecting broadcasts or someone
// else's frames would answer many times, or bounce forever between two
// reflecting nodes.

public enum Reflector {
    public static let etherType: UInt16 = 0x88B5
    static let headerBytes = 14

    /// The reflected frame, or nil when `frame` is not one to reflect.
    public static func reflect(_ frame: [UInt8], ownMAC: [UInt8]) -> [UInt8]? {
        guard frame.count >= headerBytes, ownMAC.count == 6 else { return nil }
        guard frame[12] == UInt8(etherType >> 8), frame[13] == UInt8(etherType & 0xFF) else { return nil }
        guard frame[6] & 1 == 0 else { return nil }                   // sender is a group address
        var toUs = true, fromUs = true
        for i in 0..<6 {
            if frame[i] != ownMAC[i] { toUs = false }
            if frame[6 + i] != ownMAC[i] { fromUs = false }
        }
        guard toUs, !fromUs else { return nil }
        var out = frame
        for i in 0..<6 {
            out[i] = frame[6 + i]
            out[6 + i] = frame[i]
        }
        return out
    }
}
