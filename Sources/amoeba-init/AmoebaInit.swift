// amoeba-init: set up a fresh system's name space, before its servers run.
//
// It opens the directory server's and the file server's stores directly
// (both are locked, so this refuses to run beside a live server): on Linux
// their store folders, for a kernel node (`--servers-on NODE --disk IMAGE`)
// the node's disk image, laid out as the node's own servers read it
// (Servers/BlockStorage/ServerDisk.swift), with the root's capability in
// its label so that the node lists it as `root`. Then it creates
// the root directory with the columns owner, group and other, and fills it
// through the real request handler:
//
//   /home                         an empty directory for users
//   /hosts/NAME                   per Linux host: host, sys, tod, random
//                                 (from the .cap files its amunixd wrote),
//                                 and on the host running them, soap and
//                                 bullet; per kernel node (a folder holding
//                                 only host.cap, written by kernel-run.sh):
//                                 the node's kernel directory itself, as
//                                 Amoeba enters a host, so /hosts/NAME/sys
//                                 is looked up in the node
//   /profile/cap/bulletsvr/default  the file server `put` uses
//   /bin/NAME                     with --bin DIR: each file of DIR (Amoeba
//                                 binaries, as acv and kernel-build.sh make
//                                 them) stored on the file server, for ax
//
// Then it writes the root capability to --root-file and to each --publish
// folder (an amunixd state folder, where the tools look for root.cap).
// Host capabilities change when a host's amunixd restarts; run again with
// a fresh store, or enter new ones with del and the std tools.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Amunix
import ArgumentParser
import BlockStorage
import Bullet
import Directory
import DirectoryProtocol
import DiskStorage
import Foundation
import Storage

@main
struct AmoebaInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amoeba-init",
        abstract: "Create a fresh name space: root, /home, /hosts/<name>, the default file server.",
        discussion: """
        Example: amoeba-init --soap-store /var/lib/amoeba/soap --bullet-store /var/lib/amoeba/bullet \\
                   --host a=/run/amunix --servers-on a --publish /run/amunix
        then start soap-server and bullet-server on those stores. Or, for the servers on a kernel node
        (stopped; its state folder from an earlier boot holds host.cap):
          amoeba-init --disk node0.img --host node0=node0-state --host a=/run/amunix --servers-on node0 --publish /run/amunix
        then boot it: kernel-run.sh --disk node0.img --state node0-state ... servers
        """)

    @Option(name: .customLong("soap-store"), help: "The directory server's store folder (must hold no directories yet).")
    var soapStore: String?

    @Option(name: .customLong("soap-replicas"), help: "Comma-separated store folders for more replicas of the directory server: each gets a copy of --soap-store; run soap-server --replicated on all of them, the --soap-store one first.")
    var soapReplicas: String?

    @Option(name: .customLong("bullet-store"), help: "The file server's store folder.")
    var bulletStore: String?

    @Option(name: .customLong("disk"), help: "Instead of the two stores: the disk image of the kernel node named by --servers-on (not running), created when missing.")
    var disk: String?

    @Option(name: .customLong("disk-size"), help: "The size of a new --disk image: bytes, or with a K, M or G suffix.")
    var diskSize: String = "64M"

    @Option(name: .customLong("host"), help: "NAME=FOLDER: a host and the state folder where its amunixd wrote host.cap, sys.cap, ... (or a kernel node's state folder, holding only host.cap). Repeat.")
    var hosts: [String] = []

    @Option(name: .customLong("servers-on"), help: "The host that will run soap-server and bullet-server (their rows go in its /hosts entry).")
    var serversOn: String?

    @Option(name: .customLong("root-file"), help: "Where to write the root capability (default ~/.amoeba/root.cap).")
    var rootFile: String?

    @Option(name: .customLong("publish"), help: "Also write root.cap into this folder (e.g. an amunixd state folder). Repeat.")
    var publish: [String] = []

    @Option(name: .customLong("bin"), help: "A folder of Amoeba binaries (e.g. .build-kernel/bin) to store as /bin/NAME.")
    var bin: String?

    func validate() throws {
        for h in hosts {
            let parts = h.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, DirectoryName.isValid(String(parts[0])) else {
                throw ValidationError("--host takes NAME=FOLDER, NAME a valid row name: \(h)")
            }
        }
        if let s = serversOn, !hosts.contains(where: { $0.hasPrefix(s + "=") }) {
            throw ValidationError("--servers-on \(s) is not one of the --host names")
        }
        if disk != nil {
            guard soapStore == nil, bulletStore == nil else { throw ValidationError("--disk takes the place of --soap-store and --bullet-store") }
            guard serversOn != nil else { throw ValidationError("--disk needs --servers-on, the kernel node booting from it") }
            guard diskBytes != nil else { throw ValidationError("--disk-size \(diskSize) is not a positive multiple of 512 bytes (e.g. 64M)") }
            guard soapReplicas == nil else { throw ValidationError("--soap-replicas replicates Linux stores; a kernel node's directory server is not replicated") }
        } else if soapStore == nil || bulletStore == nil {
            throw ValidationError("give --soap-store and --bullet-store, or --disk for a kernel node")
        }
    }

    /// --disk-size in bytes.
    private var diskBytes: Int64? {
        guard let unit = diskSize.last else { return nil }
        let shift: Int64 = unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : 0
        guard let n = Int64(shift == 0 ? diskSize : String(diskSize.dropLast())), n > 0, n <= (1 << 40) >> shift else { return nil }
        let bytes = n << shift
        return bytes % 512 == 0 ? bytes : nil
    }

    func run() throws {
        // root.cap, the stores and their super.cap: private from the first byte.
        PrivateFiles.restrictCreation()
        do {
            try setUp()
        } catch let e as SetupError {
            FileHandle.standardError.write(Data("amoeba-init: \(e.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct SetupError: Error { let message: String }

    func setUp() throws {
        let root: Capability
        if let disk {
            root = try setUpOnDisk(disk)
        } else {
            let soap: DirectoryServer<DiskStore>
            let bullet: BulletServer<DiskStore>
            do {
                soap = try DirectoryServer(store: try DiskStore(path: soapStore!), generator: SystemRandomNumberGenerator())
                bullet = try BulletServer(store: try DiskStore(path: bulletStore!), generator: SystemRandomNumberGenerator())
            } catch {
                throw SetupError(message: "cannot open the stores (\(error)); is a server running on them?")
            }
            guard soap.directories.isEmpty else {
                throw SetupError(message: "\(soapStore!) already holds a name space; give an empty folder")
            }
            root = try fill(soap, bullet, onKernelNode: false)
            for folder in replicaFolders { try copyStore(to: folder) }
        }
        let targets = [rootFile ?? RootCapability.homeFile] + publish.map { "\($0)/\(RootCapability.fileName)" }
        for t in targets {
            do {
                try RootCapability.write(root, to: t)
            } catch {
                throw SetupError(message: "cannot write \(t): \(error)")
            }
        }
        print("root \(root.text)")
        print("written to \(targets.joined(separator: ", "))")
    }

    /// The name space on a kernel node's disk image: its two block stores
    /// filled, then the label naming the root, flushed last, so that an
    /// interrupted run leaves a disk the node refuses rather than a half
    /// name space it would serve.
    private func setUpOnDisk(_ path: String) throws -> Capability {
        let image: ImageVolume
        do {
            image = try ImageVolume(path: path, createBytes: diskBytes!)
        } catch {
            throw SetupError(message: "--disk \(path): \(error)")
        }
        // An image made by this run goes again if the run fails: a half
        // filled one would only be refused by the next.
        do {
            return try setUp(on: image, path)
        } catch {
            if image.created { unlink(path) }
            throw error
        }
    }

    private func setUp(on image: ImageVolume, _ path: String) throws -> Capability {
        guard let layout = ServerDisk(blockCount: image.blockCount) else {
            throw SetupError(message: "--disk \(path): \(image.blockCount) blocks is too small for the servers")
        }
        let label = VolumeSlice(image, layout.label)
        if let b = try? label.readBlocks(0, count: 1), ServerDisk.root(inLabel: b) != nil {
            throw SetupError(message: "\(path) already holds a name space; give a new image")
        }
        let soap: DirectoryServer<BlockStore>
        let bullet: BulletServer<BlockStore>
        do {
            soap = try DirectoryServer(store: try BlockStore(volume: VolumeSlice(image, layout.directoryStore)),
                                       generator: SystemRandomNumberGenerator())
            bullet = try BulletServer(store: try BlockStore(volume: VolumeSlice(image, layout.fileStore)),
                                      generator: SystemRandomNumberGenerator(), clock: { Int64(time(nil)) })
        } catch {
            throw SetupError(message: "--disk \(path): cannot open the stores on it (\(error))")
        }
        guard soap.directories.isEmpty else {
            throw SetupError(message: "\(path) holds directories but no label; give a new image")
        }
        let root = try fill(soap, bullet, onKernelNode: true)
        do {
            try label.writeBlocks(0, ServerDisk.labelBlock(root: root))
            try label.flush()
        } catch {
            throw SetupError(message: "--disk \(path): cannot write the label (\(error))")
        }
        return root
    }

    /// Creates the root and fills the name space through the servers' own
    /// handlers; returns the root's capability.
    private func fill<S: ObjectStore>(_ soap: DirectoryServer<S>, _ bullet: BulletServer<S>, onKernelNode: Bool) throws -> Capability {
        soap.clock = { Int32(truncatingIfNeeded: time(nil)) }
        let root: Capability
        do {
            root = try soap.createRootDirectory(columns: ["owner", "group", "other"])
        } catch {
            throw SetupError(message: "cannot create the root: \(error.name)")
        }
        var net = LocalNetwork()
        net.add(port: soap.putPort) { soap.handle(header: $0, data: $1) }
        let names = DirectoryClient(transport: net, root: root)
        // Directories: group and other see their columns only; files and
        // servers: group and other get read (Bullet's 0x02); the default
        // file server: group and other may create files (0x01), not more.
        let masks: [UInt32] = [0xFF, 0x06, 0x04]
        let objectMasks: [UInt32] = [0xFF, 0x02, 0x02]
        let createMasks: [UInt32] = [0xFF, 0x01, 0x01]
        func step(_ what: String, _ body: () throws(ErrorCode) -> Void) throws {
            do { try body() } catch { throw SetupError(message: "\(what): \(error.name)") }
        }
        for dir in ["home", "hosts", "profile", "profile/cap", "profile/cap/bulletsvr"] {
            try step("mkd /\(dir)") { () throws(ErrorCode) in _ = try names.makeDirectory(AmoebaPath(dir), masks: masks) }
        }
        try step("/profile/cap/bulletsvr/default") { () throws(ErrorCode) in
            try names.enter(AmoebaPath("profile/cap/bulletsvr/default"), bullet.superCapability, masks: createMasks)
        }
        for h in hosts {
            let parts = h.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, folder) = (parts[0], parts[1])
            if isKernelNode(folder), let host = RootCapability.read(file: "\(folder)/host.cap") {
                // The node lists its own soap and bullet in its kernel directory.
                guard name != serversOn || onKernelNode else {
                    throw SetupError(message: "--servers-on \(name): a kernel node keeps its servers' stores on its disk: give --disk IMAGE")
                }
                try step("/hosts/\(name)") { () throws(ErrorCode) in
                    try names.enter(AmoebaPath("hosts/\(name)"), host, masks: objectMasks)
                }
                continue
            }
            try step("mkd /hosts/\(name)") { () throws(ErrorCode) in
                _ = try names.makeDirectory(AmoebaPath("hosts/\(name)"), masks: masks)
            }
            var found = 0
            for kind in ["host", "sys", "tod", "random"] {
                guard let cap = RootCapability.read(file: "\(folder)/\(kind).cap") else { continue }
                found += 1
                try step("/hosts/\(name)/\(kind)") { () throws(ErrorCode) in
                    try names.enter(AmoebaPath("hosts/\(name)/\(kind)"), cap, masks: objectMasks)
                }
            }
            guard found > 0 else { throw SetupError(message: "\(folder) holds no host capabilities (is amunixd running there?)") }
            if name == serversOn {
                guard !onKernelNode else { throw SetupError(message: "--servers-on \(name) with --disk: \(folder) is a Linux host's, not a kernel node's") }
                try step("/hosts/\(name)/soap") { () throws(ErrorCode) in
                    try names.enter(AmoebaPath("hosts/\(name)/soap"), soap.superCapability, masks: objectMasks)
                    try names.enter(AmoebaPath("hosts/\(name)/bullet"), bullet.superCapability, masks: objectMasks)
                }
            }
        }
        if let bin {
            try storeBinaries(from: bin, names: names, bullet: bullet, net: &net, masks: masks, objectMasks: objectMasks)
        }
        return root
    }

    var replicaFolders: [String] {
        (soapReplicas ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
    }

    /// The directory store, identity included, copied object by object into
    /// the empty store at `folder`: a replica must share the service's port
    /// and check fields, and holds the same directories from the start.
    private func copyStore(to folder: String) throws {
        do {
            let source = try DiskStore(path: soapStore!, exclusive: false)
            let target = try DiskStore(path: folder)
            guard target.keys().isEmpty else {
                throw SetupError(message: "--soap-replicas: \(folder) is not empty; give an empty folder")
            }
            var changes = [StoreChange]()
            for key in source.keys() { changes.append(.write(key: key, bytes: try source.read(key))) }
            try target.commit(changes)
        } catch let e as SetupError {
            throw e
        } catch {
            throw SetupError(message: "cannot copy the directory store to \(folder): \(error)")
        }
        print("directory replica store \(folder)")
    }

    /// Each regular file of `folder` as a committed file under /bin.
    private func storeBinaries<S: ObjectStore>(from folder: String, names: DirectoryClient<LocalNetwork>, bullet: BulletServer<S>,
                               net: inout LocalNetwork, masks: [UInt32], objectMasks: [UInt32]) throws {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw SetupError(message: "--bin \(folder): cannot read the folder")
        }
        do throws(ErrorCode) { _ = try names.makeDirectory(AmoebaPath("bin"), masks: masks) } catch {
            throw SetupError(message: "mkd /bin: \(error.name)")
        }
        net.add(port: bullet.putPort) { bullet.handle(header: $0, data: $1) }
        let fileClient = FileClient(transport: net)
        for name in files.sorted() where DirectoryName.isValid(name) {
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(name)") else { continue }
            do throws(ErrorCode) {
                let file = try fileClient.create(Array(data), on: bullet.superCapability)
                try names.enter(AmoebaPath("bin/\(name)"), file, masks: objectMasks)
            } catch {
                throw SetupError(message: "/bin/\(name): \(error.name)")
            }
        }
        print("/bin: \(files.count) programs from \(folder)")
    }

    /// A kernel node's state folder: the run script writes host.cap there
    /// (from the node's configured secret) and no per-server files, since
    /// the node's servers are found through its kernel directory.
    private func isKernelNode(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(folder)/host.cap")
            && !FileManager.default.fileExists(atPath: "\(folder)/sys.cap")
    }
}
