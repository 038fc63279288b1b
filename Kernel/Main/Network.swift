// The kernel's network thread: started at boot when a NIC is found, woken
// by the NIC's receive interrupt, it drains every arrived frame. For now
// its only work is the test reflector (EtherType 0x88B5 straight back);
// FLIP (EtherType 0x8146) will be handled in the same loop.
//
// With `net=stats` on the command line the thread prints the NIC's
// counters on the console whenever traffic stops for 200 ms, which is how
// the host-side tests see what the kernel counted.
import AmoebaCore
import KernelCore

enum Network {
    static var interface: VirtioNet? = nil

    static func start() {
        guard let nic = VirtioNet.probe() else { return }
        interface = nic
        print("[net] virtio-net \(text(mac: nic.mac)) irq \(nic.irq)")
        let arrived = Semaphore(0)
        nic.onReceive = { arrived.up() }
        let reportWhenQuiet = Kernel.commandLine.value(of: "net") == "stats"
        Scheduler.spawn("net", priority: Priority(process: .high, thread: .high)) {
            var trafficSinceReport = false
            while true {
                let quietTimeout: Interval? = reportWhenQuiet && trafficSinceReport ? .milliseconds(200) : nil
                guard arrived.down(timeout: quietTimeout) else {
                    print("[net] statistics: " + oneLine(nic.statistics.text))
                    trafficSinceReport = false
                    continue
                }
                nic.receiveAll { frame in
                    if let reply = Reflector.reflect(frame, ownMAC: nic.mac) { _ = nic.transmit(reply) }
                }
                trafficSinceReport = true
            }
        }
    }

    /// "52:54:00:12:34:56".
    static func text(mac: [UInt8]) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        var s = ""
        for (i, b) in mac.enumerated() {
            if i > 0 { s.append(":") }
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }

    private static func oneLine(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch == "\n" { if !out.isEmpty { out += "; " } } else { out.append(ch) }
        }
        while out.hasSuffix("; ") { out.removeLast(2) }
        return out
    }
}
