// servers-crash-child: a server that writes until it is killed.
//
// The crash tests run this as a child process, let it acknowledge a stream
// of changes, kill it with SIGKILL at an arbitrary moment, and then check
// in their own process that every change it acknowledged is in the store.
// A line `ack ...` is printed (and flushed) only after the server's reply
// said STD_OK, which is exactly when a real server would have replied.
//
//     servers-crash-child dir PATH        append rows e<N>, e<N+1>, ... to the root
//     servers-crash-child install PATH    INSTALL capability N into two directories at once
//     servers-crash-child bullet PATH N   commit files N, N+1, ... (contents from N)
//     servers-crash-child bullet-stream PATH N   the same, uploads written as
//                                         they arrive (streamsUploads)

import Glibc
import AmoebaCore
import Storage
import DiskStorage
import Directory
import DirectoryProtocol
import Bullet

/// Writes a line straight to a file descriptor: no stdio buffer that a
/// SIGKILL could leave unflushed.
func say(_ line: String, to fd: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
        if n <= 0 { exit(3) }
        done += n
    }
}

func fail(_ message: String) -> Never {
    say("servers-crash-child: \(message)", to: 2)
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: servers-crash-child dir|bullet PATH [START]") }
var rng = SystemRandomNumberGenerator()
let store: DiskStore
do { store = try DiskStore(path: args[2]) } catch { fail("cannot open store: \(error)") }

/// The contents of crash-test file `n`: sizes vary and some span several
/// requests, so commits happen both in one piece and after MODIFYs.
func fileContents(_ n: Int) -> [UInt8] {
    let size = n % 4 == 3 ? 70_000 + n : (n * 977) % 5000
    return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
}

switch args[1] {
case "dir":
    let server: DirectoryServer<DiskStore>
    do { server = try DirectoryServer(store: store, generator: rng) } catch { fail("cannot open server: \(error)") }
    var root: Capability
    if let (n, d) = server.directories.min(by: { $0.key < $1.key }) {
        root = Capability(port: server.putPort, private: PrivatePart(object: ObjectNumber(n)!, rights: .all, random: d.random))
    } else {
        do { root = try server.createRootDirectory(columns: ["owner", "group", "other"]) } catch { fail("no root") }
    }
    say("root \(root.text)")
    var i = server.directories.values.map { $0.rows.count }.max() ?? 0
    while true {
        var w = BufferWriter()
        try! w.write(string: "e\(i)")
        let target = Capability(port: Port(hex: "010203040506")!, private: PrivatePart(
            object: ObjectNumber(UInt32(i & 0xFFFFFF))!, rights: .all, check: Port(hex: "0a0b0c0d0e0f")!))
        try! CapabilitySet(target).encode(into: &w)
        for m: UInt32 in [0xFF, 0x0F, 0x01] { try! w.write(m) }
        var h = Header(capability: root, command: DirectoryCommand.append)
        h.size = UInt16(w.count)
        let (reply, _) = server.handle(header: h, data: w.bytes)
        guard reply.status == .ok else { fail("append e\(i): \(reply.status.name)") }
        say("ack e\(i)")
        i += 1
    }
case "install":
    // Two directories, each with a row "x"; every step replaces both rows'
    // capability in one INSTALL, so after any crash they must agree.
    let server: DirectoryServer<DiskStore>
    do { server = try DirectoryServer(store: store, generator: rng) } catch { fail("cannot open server: \(error)") }
    func version(_ n: UInt32) -> Capability {
        Capability(port: Port(hex: "010203040506")!, private: PrivatePart(
            object: ObjectNumber(n)!, rights: .all, random: Port(hex: "0a0b0c0d0e0f")!))
    }
    var dirs = [Capability]()
    if server.directories.count == 2 {
        for n: UInt32 in [1, 2] {
            dirs.append(Capability(port: server.putPort, private: PrivatePart(
                object: ObjectNumber(n)!, rights: .all, random: server.directories[n]!.random)))
        }
    } else {
        guard server.directories.isEmpty else { fail("unexpected store") }
        for _ in 0..<2 {
            guard let d = try? server.createRootDirectory(columns: ["owner"]) else { fail("no directory") }
            var w = BufferWriter()
            try! w.write(string: "x")
            try! CapabilitySet(version(0)).encode(into: &w)
            try! w.write(UInt32(0xFF))
            var h = Header(capability: d, command: DirectoryCommand.append)
            h.size = UInt16(w.count)
            guard server.handle(header: h, data: w.bytes).0.status == .ok else { fail("append x") }
            dirs.append(d)
        }
    }
    var i = server.directories[1]!.rows[0].capabilities.suites[0].capability.private.object.value
    while true {
        var w = BufferWriter()
        for d in dirs {
            try! CapabilitySet(d).encode(into: &w)
            try! w.write(string: "x")
            try! CapabilitySet(version(i + 1)).encode(into: &w)
            try! w.write(version(i))
        }
        var h = Header(capability: dirs[0], command: DirectoryCommand.install)
        h.size = UInt16(w.count)
        let (reply, _) = server.handle(header: h, data: w.bytes)
        guard reply.status == .ok else { fail("install \(i + 1): \(reply.status.name)") }
        i += 1
        say("ack \(i)")
    }
case "bullet", "bullet-stream":
    let server: BulletServer<DiskStore>
    do { server = try BulletServer(store: store, generator: rng) } catch { fail("cannot open server: \(error)") }
    server.streamsUploads = args[1] == "bullet-stream"
    var n = args.count > 3 ? Int(args[3]) ?? 0 : 0
    while true {
        let data = fileContents(n)
        let piece = BulletLimits.requestData
        var h = Header(capability: server.superCapability, command: BulletCommand.create)
        var sent = 0
        repeat {
            let chunk = Array(data[sent..<min(sent + piece, data.count)])
            h.size = UInt16(chunk.count)
            h.extra = sent + chunk.count == data.count ? BulletCommit.commit | BulletCommit.safety : 0
            let (reply, _) = server.handle(header: h, data: chunk)
            guard reply.status == .ok else { fail("file \(n): \(reply.status.name)") }
            sent += chunk.count
            h = reply
            h.command = BulletCommand.modify
            h.offset = Int32(sent)
        } while sent < data.count
        say("ack \(n) \(Capability(port: h.port, private: h.private).text)")
        n += 1
    }
default:
    fail("unknown server \(args[1])")
}
