// The kernel's disk on the network: when the machine has a virtio-blk
// device, `vdisk:00` goes into the kernel directory and three kernel
// threads serve it (as Amoeba's kernel runs three disk threads), so up to
// three requests are at the device at once, whether they come from local
// processes or, through the network thread, from other nodes. A server
// thread waits for the disk itself; the network thread never does.
//
// The rules (capability, rights, block sizes, ranges) are the host-tested
// VirtualDiskServer of KernelCore; this file only wires it to the driver
// and the local IPC.
import AmoebaCore
import DiskProtocol
import KernelCore
import NodeServers

enum VirtualDisk {
    static let serverThreads = 3
    private(set) static var device: VirtioBlock? = nil
    private(set) static var server: VirtualDiskServer<VirtioBlock>? = nil

    /// Serves the disk, if there is one; its capability derives from the
    /// host's identity `host`, so it survives a reboot as the host's does.
    static func start(in directory: NodeDirectory, host: ServiceIdentity) {
        guard let disk = VirtioBlock.probe() else { return }
        device = disk
        let ports = VirtualDiskServer<VirtioBlock>.derivedPorts(host: host, disk: 0)
        let s = VirtualDiskServer(number: 0, device: disk, getPort: ports.getPort, random: ports.random)
        server = s
        try? directory.add(s.name, s.identity.capability)
        print("[disk] virtio-blk irq \(disk.irq): \(disk.blockCount) blocks (\(disk.blockCount / 2) KB), write cache \(disk.hasWriteCache ? "on, flushed on every write" : "off")\(disk.isReadOnly ? ", read-only" : ""); \(s.name)")
        for _ in 0..<serverThreads {
            LocalIPC.serve(s.name, getPort: s.identity.getPort) { request in
                s.handle(request.header, request.body)
            }
        }
    }

    /// sys KSTAT `d`.
    static func report() -> String {
        guard let device else { return "no disk\n" }
        return device.report()
    }
}
