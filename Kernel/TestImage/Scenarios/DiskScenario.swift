// The `disk` scenario (a QEMU virtio-blk disk attached by the test runner):
// the driver with several kernel threads' requests in flight at once, each
// thread's data read back; the vdisk server through local transactions
// (size, a read past the end refused, a write read back); and the block
// store (Servers/BlockStorage) running inside the kernel on a stretch of
// the disk: commits across compactions, then opened again from the disk
// with every commit there.
import AmoebaCore
import BlockStorage
import DiskProtocol
import KernelCore
import Storage

enum DiskScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("disk: FAILED \(what)") }
    }

    static func pattern(_ thread: Int, _ round: Int, _ n: Int) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ thread &* 7 &+ round) }
    }

    static func run() {
        guard let device = VirtualDisk.device, let server = VirtualDisk.server else { Machine.fail("no disk: attach one") }
        print("disk: \(device.blockCount) blocks, write cache \(device.hasWriteCache)")

        // Six threads, each writing, flushing and reading back its own 29 KiB stretches.
        let threads = 6, rounds = 8, bytes = DiskLimits.requestBufferSize
        let finished = Semaphore(0)
        var intact = true
        for t in 0..<threads {
            _ = Scheduler.spawn("disk\(t)") {
                for r in 0..<rounds {
                    let block = UInt64((t * rounds + r) * (bytes / 512))
                    let data = pattern(t, r, bytes)
                    if device.write(first: block, data) != .ok || device.flush() != .ok { intact = false }
                    var back = [UInt8](repeating: 0, count: bytes)
                    if device.read(first: block, into: &back) != .ok || back != data { intact = false }
                }
                finished.up()
            }
        }
        for _ in 0..<threads { finished.down() }
        let s = device.statistics
        print("disk: \(threads) threads x \(rounds) rounds: most in flight \(s.mostInFlight), flushes \(s.flushes), errors \(s.errors), data intact=\(intact)")
        check(intact && s.errors == 0, "driver data")
        check(s.mostInFlight >= 2, "several requests in flight")

        // The vdisk server through local IPC.
        let cap = server.identity.capability
        func call(_ c: DiskCommand, shift: UInt16, first: Int32, count: UInt16, body: [UInt8] = []) -> Message {
            LocalIPC.trans(Message(header: DiskTransfer(shift: shift, first: first, count: count).header(cap, c), body: body))
        }
        let size = call(.size, shift: 9, first: 0, count: 0)
        let past = call(.read, shift: 9, first: Int32(device.blockCount), count: 1)
        let w = call(.write, shift: 12, first: 5, count: 1, body: pattern(9, 9, 4096))
        let r = call(.read, shift: 9, first: 40, count: 8)
        print("disk: vdisk:00 DS_SIZE \(size.header.offset), read past the end \(past.header.status.name), write \(w.header.status.name), read back \(r.body == pattern(9, 9, 4096))")
        check(size.header.offset == Int32(device.blockCount) && past.header.status == .argumentBad
              && w.header.status == .ok && r.body == pattern(9, 9, 4096), "vdisk server")

        // The block store on blocks 4096 ..< 4096 + 402 (two halves of 200).
        let volume = DiskVolume(device: device, first: 4096, count: 402)
        var generation: UInt64 = 0
        let next = { () -> UInt64 in generation += 1; return generation }
        var compactions = 0
        do throws(StorageError) {
            let store = try BlockStore(volume: volume, generation: next)
            for k in UInt32(1)...150 {
                var batch: [StoreChange] = [.write(key: k, bytes: pattern(Int(k), 1, Int(k) * 37 % 3000 + 1))]
                if k > 20 { batch.append(.remove(key: k - 20)) }
                try store.commit(batch)
            }
            compactions = store.compactions
            let again = try BlockStore(volume: volume, formatIfBlank: false, generation: next)
            var good = again.keys() == Array(UInt32(131)...150)
            for k in again.keys() where (try? again.read(k)) != pattern(Int(k), 1, Int(k) * 37 % 3000 + 1) { good = false }
            print("disk: block store in the kernel: 150 commits, \(compactions) compactions, opened again intact=\(good)")
            check(good && compactions >= 2, "block store")
        } catch {
            check(false, "block store: \(error)")
        }
        print("disk: \(failures) failures")
        if failures == 0 { Machine.pass() } else { Machine.fail("disk scenario") }
    }
}
