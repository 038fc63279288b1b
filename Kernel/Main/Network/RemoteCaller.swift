// `call=CAP[,CAP...]` on the command line: a kernel thread that, once the
// node is on the network, asks each capability's server for std_info and
// the time (tod's GETTIME) and prints what came back. It is how the tests
// see a kernel node reach another kernel node or a Linux host through the
// very trans a local client uses: nothing here knows the server is remote.
import AmoebaCore
import KernelCore

enum RemoteCaller {
    static func start(_ line: BootCommandLine) {
        guard let list = line.value(of: "call") else { return }
        var targets: [Capability] = []
        for text in list.split(separator: ",") {
            do throws(CapabilityTextError) {
                targets.append(try Capability(text: String(text)))
            } catch {
                print("[call] not a capability: \(text)")
            }
        }
        guard !targets.isEmpty else { return }
        _ = Scheduler.spawn("caller", priority: Priority()) {
            for cap in targets { call(cap) }
            print("[call] done")
        }
    }

    private static func call(_ cap: Capability) {
        let start = Clock.now()
        let info = LocalIPC.trans(Message(header: Header(capability: cap, command: StandardCommand.info)))
        let took = (Clock.now() - start).microseconds
        var text = ""
        for b in info.body where b >= 0x20 && b < 0x7F { text.append(Character(Unicode.Scalar(b))) }
        print("[call] std_info \(cap.text): \(info.header.status.name) \"\(text)\" in \(took) us")
        let time = LocalIPC.trans(Message(header: Header(capability: cap, command: 2400)))
        if time.header.status == .ok {
            print("[call] tod \(cap.text): \(time.header.offset) s since 1970")
        } else {
            print("[call] tod \(cap.text): \(time.header.status.name)")
        }
    }
}
