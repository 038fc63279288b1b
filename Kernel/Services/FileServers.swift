// The name space on a kernel node's own disk: with a disk and the
// command-line word `servers`, the node runs the SOAP directory server and
// the Bullet file server (Servers/Directory, Servers/Bullet: the handlers
// the Linux hosts run) as kernel threads, each over the crash-safe block
// store (Servers/BlockStorage) on a part of the disk, and lists them in its
// kernel directory as `soap`, `bullet` and `root`.
//
// Kernel threads rather than user processes: the handlers, the store and
// the driver are kernel code already (one image, no second copy of the
// protocol code per process), a server's disk waits block only its own
// thread, and a request reaches it by the same local hand-off a kernel
// server gets. One thread per server, since a handler is not reentrant.
//
// The disk is laid out as Servers/BlockStorage/ServerDisk.swift says (a
// label naming the root, the directory store, the file store), the layout
// amoeba-init fills a node's image with on Linux (`--disk`). A fresh disk
// gets what amoeba-init would make: a root with the columns owner, group
// and other, /home, /hosts, /profile/cap/bulletsvr/default.
import AmoebaClient
import AmoebaCore
import BlockStorage
import Bullet
import Directory
import KernelCore
import NodeServers
import Storage

enum FileServers {
    static func start(in directory: NodeDirectory) {
        guard Kernel.commandLine.has("servers"), let device = VirtualDisk.device else { return }
        guard let layout = ServerDisk(blockCount: device.blockCount) else {
            print("[servers] the disk is too small for the servers (\(device.blockCount) blocks)")
            return
        }
        let disk = DiskVolume(device: device, first: 0, count: device.blockCount)
        let label = VolumeSlice(disk, layout.label)
        let soapVolume = VolumeSlice(disk, layout.directoryStore)
        let bulletVolume = VolumeSlice(disk, layout.fileStore)
        let now = { Kernel.bootUnixSeconds + Int64(Clock.now().microseconds / 1_000_000) }
        let soap: DirectoryServer<BlockStore>
        let bullet: BulletServer<BlockStore>
        do throws(StorageError) {
            soap = try DirectoryServer(store: try BlockStore(volume: soapVolume), generator: EntropyGenerator())
            bullet = try BulletServer(store: try BlockStore(volume: bulletVolume), generator: EntropyGenerator(), clock: now)
        } catch {
            print("[servers] cannot open the stores on the disk: \(error)")
            return
        }
        soap.clock = { Int32(truncatingIfNeeded: now()) }
        // An upload's bytes go to the disk in 256 KiB parts as they arrive
        // (Servers/Bullet/BulletStaging.swift), so a file may be far larger
        // than the heap; what uncommitted files keep in the heap is bounded
        // by it, not by the Linux server's 512 MB, or anyone holding a
        // create capability could run the kernel out of memory. Past the
        // bound the oldest uncommitted file gives way.
        bullet.stageBytes = 256 * 1024
        bullet.pendingLimits.bytes = Int(Kernel.heapSize) / 4
        bullet.pendingLimits.files = 64
        // Every directory lives in the heap too, at a few times its stored
        // size (rows, names and capability sets each allocated), and a
        // change briefly holds the old and new copies of one: a sixteenth
        // of the heap in stored bytes leaves the rest for everything else,
        // and a user filling directories gets STD_NOSPACE, not a dead node.
        soap.sizeLimit = Int(Kernel.heapSize) / 16
        let root: Capability
        if let saved = readLabel(label) {
            root = saved
        } else if soap.directories.isEmpty, let made = makeNameSpace(soap, bullet), writeLabel(label, made) {
            root = made
            print("[servers] a fresh name space on the disk")
        } else {
            print("[servers] the disk holds directories but no label: not serving")
            return
        }
        try? directory.add("soap", soap.superCapability, masks: [0xFF, 0x02, 0x02])
        try? directory.add("bullet", bullet.superCapability, masks: [0xFF, 0x02, 0x02])
        try? directory.add("root", root, masks: [0xFF, 0, 0])
        LocalIPC.serve("soap", getPort: soap.getPort) { m in
            let (h, d) = soap.handle(header: m.header, data: m.body)
            return Message(header: h, body: d)
        }
        LocalIPC.serve("bullet", getPort: bullet.getPort) { m in
            let (h, d) = bullet.handle(header: m.header, data: m.body)
            return Message(header: h, body: d)
        }
        print("[servers] soap (\(soap.directories.count) directories) and bullet (\(bullet.fileSizes.count) files) on the disk; root \(root.text)")
    }

    /// The root and the directories amoeba-init makes, through the handlers themselves.
    private static func makeNameSpace(_ soap: DirectoryServer<BlockStore>, _ bullet: BulletServer<BlockStore>) -> Capability? {
        guard let root = try? soap.createRootDirectory(columns: ["owner", "group", "other"]) else { return nil }
        var net = LocalNetwork()
        net.add(port: soap.putPort) { soap.handle(header: $0, data: $1) }
        let names = DirectoryClient(transport: net, root: root)
        let masks: [UInt32] = [0xFF, 0x06, 0x04]
        do throws(ErrorCode) {
            for dir in ["home", "hosts", "profile", "profile/cap", "profile/cap/bulletsvr"] {
                _ = try names.makeDirectory(AmoebaPath(dir), masks: masks)
            }
            try names.enter(AmoebaPath("profile/cap/bulletsvr/default"), bullet.superCapability, masks: [0xFF, 0x01, 0x01])
        } catch {
            print("[servers] cannot make the name space: \(error.name)")
            return nil
        }
        return root
    }

    private static func readLabel(_ v: VolumeSlice) -> Capability? {
        guard let b = try? v.readBlocks(0, count: 1) else { return nil }
        return ServerDisk.root(inLabel: b)
    }

    private static func writeLabel(_ v: VolumeSlice, _ root: Capability) -> Bool {
        (try? v.writeBlocks(0, ServerDisk.labelBlock(root: root))) != nil && (try? v.flush()) != nil
    }
}
