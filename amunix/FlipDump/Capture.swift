// Where the FLIP frame sits in what a capture holds. On raw Ethernet the
// captured frame is the FLIP frame. On the Ethernet-in-UDP links (amunixd's
// udp: and mcast:, QEMU's dgram and socket netdevs) a capture of the
// carrying interface holds Ethernet, IPv4 and UDP around a whole inner
// Ethernet frame; flipdump reads either, so `tcpdump -i lo -w` of a test
// segment is as good as a capture of a bridge.

public enum Capture {
    /// The FLIP frame inside a captured Ethernet frame, or nil when it
    /// holds none.
    public static func flipFrame(in captured: [UInt8]) -> [UInt8]? {
        guard captured.count >= 14 else { return nil }
        let etherType = UInt16(captured[12]) << 8 | UInt16(captured[13])
        if etherType == 0x8146 { return captured }
        guard etherType == 0x0800, captured.count >= 14 + 20 else { return nil }
        let ip = 14
        guard captured[ip] >> 4 == 4, captured[ip + 9] == 17 else { return nil }  // IPv4, UDP
        let ipHeader = Int(captured[ip] & 0x0F) * 4
        let fragment = UInt16(captured[ip + 6] & 0x1F) << 8 | UInt16(captured[ip + 7])
        guard ipHeader >= 20, fragment == 0 else { return nil }
        let udp = ip + ipHeader
        guard captured.count >= udp + 8 + 14 else { return nil }
        let inner = Array(captured[(udp + 8)...])
        guard UInt16(inner[12]) << 8 | UInt16(inner[13]) == 0x8146 else { return nil }
        return inner
    }
}
