import Testing
import Foundation
import AmoebaCore
import Storage
import DiskStorage
import Bullet
import TestSupport

@Suite struct BulletPersistenceTests {
    @Test func reopenGivesSameFiles() throws {
        let path = temporaryDirectory("bullet-reopen")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = BulletClient(try BulletServer(store: DiskStore(path: path), generator: SystemRandomNumberGenerator()))
        var caps = [Capability]()
        for i in 0..<6 {
            let (e, cap) = first.create(pattern(i * 25_000, seed: i))
            #expect(e == .ok)
            caps.append(cap)
        }
        let (_, draft) = first.create([1, 2], commit: false)
        #expect(first.call(caps[2], StandardCommand.destroy).0.status == .ok)

        let second = BulletClient(try BulletServer(store: DiskStore(path: path, exclusive: false), generator: SystemRandomNumberGenerator()))
        #expect(second.server.putPort == first.server.putPort)
        #expect(second.server.fileSizes == first.server.fileSizes)
        for (i, cap) in caps.enumerated() where i != 2 {
            #expect(second.readAll(cap) == (.ok, pattern(i * 25_000, seed: i)))
        }
        #expect(second.size(caps[2]).0 == .capabilityBad)
        // Uncommitted files do not survive a restart, as in Amoeba.
        #expect(second.call(draft, StandardCommand.touch).0.status == .capabilityBad)
    }

    /// A 5 MB file through the disk store, in transaction-sized pieces.
    @Test func largeFileRoundTripOnDisk() throws {
        let path = temporaryDirectory("bullet-large")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = BulletClient(try BulletServer(store: DiskStore(path: path), generator: SystemRandomNumberGenerator()))
        let data = pattern(5 * 1024 * 1024, seed: 9)
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        let again = BulletClient(try BulletServer(store: DiskStore(path: path, exclusive: false), generator: SystemRandomNumberGenerator()))
        #expect(again.readAll(cap) == (.ok, data))
    }

    /// The size the demo moves between hosts: 50 MB written in
    /// transaction-sized pieces to the disk store and read back whole.
    @Test func fiftyMegabytesOnDisk() throws {
        let path = temporaryDirectory("bullet-50m")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = BulletClient(try BulletServer(store: DiskStore(path: path), generator: SystemRandomNumberGenerator()))
        var data = [UInt8](repeating: 0, count: 50 * 1024 * 1024)
        var x: UInt32 = 1
        for i in 0..<data.count {
            x = x &* 1_664_525 &+ 1_013_904_223
            data[i] = UInt8(truncatingIfNeeded: x >> 24)
        }
        let start = ContinuousClock.now
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        let written = ContinuousClock.now
        #expect(c.size(cap) == (.ok, data.count))
        let (re, back) = c.readAll(cap)
        #expect(re == .ok)
        #expect(back == data)
        let read = ContinuousClock.now
        print("bullet 50 MB on disk: write+commit \(written - start), read \(read - written)")
    }

    /// kill -9 while files are being committed, three times: every file
    /// whose commit was acknowledged reads back byte for byte. Whole
    /// files written at commit (`bullet`) and uploads streamed to disk as
    /// they arrive (`bullet-stream`, BulletDrafts.swift) alike.
    @Test(arguments: ["bullet", "bullet-stream"])
    func killDuringWritesLosesNoAcknowledgedFile(mode: String) throws {
        let path = temporaryDirectory("\(mode)-crash")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var acknowledged = [(Int, Capability)]()
        var next = 0
        for round in 0..<3 {
            let lines = try runAndKill([mode, path, String(next)], acks: 8 + 5 * round)
            for line in lines where line.hasPrefix("ack ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 3)
                acknowledged.append((Int(parts[1])!, try Capability(text: String(parts[2]))))
            }
            next = (acknowledged.map(\.0).max() ?? -1) + 1
            let c = BulletClient(try BulletServer(store: DiskStore(path: path), generator: SystemRandomNumberGenerator()))
            for (n, cap) in acknowledged {
                let (e, bytes) = c.readAll(cap)
                #expect(e == .ok, "round \(round): file \(n) lost")
                #expect(bytes == crashFileContents(n), "round \(round): file \(n) differs")
            }
        }
        #expect(acknowledged.count >= 8 + 13 + 18)
    }
}

/// The contents servers-crash-child gives file `n` (kept in step with it).
func crashFileContents(_ n: Int) -> [UInt8] {
    let size = n % 4 == 3 ? 70_000 + n : (n * 977) % 5000
    return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
}
