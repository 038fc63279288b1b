// Values joined from stored parts (a file uploaded in pieces): the joined
// value is the pieces in order, the parts can go in the same batch, the
// join goes through compactions, and a crash at every write of a workload
// of uploads leaves each batch whole or absent, as for any other commit.
import Storage
import Testing
@testable import BlockStorage

enum UploadStep {
    case batch([StoreChange])
    case join([StoreChange], UInt32, [StorePiece])
}

/// Three uploads of 3-5 parts each, joined with a header in memory and a
/// tail, the parts removed in the joining batch; other writes between.
func uploads() -> [UploadStep] {
    func bytes(_ n: Int, _ tag: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ tag) } }
    var steps: [UploadStep] = []
    var part: UInt32 = 1 << 24
    for file in 0..<3 {
        var parts: [UInt32] = []
        for p in 0..<(3 + file) {
            steps.append(.batch([.write(key: part, bytes: bytes(3000 + p * 700, file * 10 + p))]))
            parts.append(part)
            part += 1
            if p == 1 { steps.append(.batch([.write(key: 7, bytes: bytes(900, p + file))])) }
        }
        steps.append(.join(parts.map { .remove(key: $0) }, UInt32(file + 1),
                           [.bytes([UInt8](repeating: UInt8(file), count: 6))] + parts.map { .stored($0) } + [.bytes(bytes(333, file))]))
    }
    return steps
}

func run(_ step: UploadStep, on store: any ObjectStore) throws(StorageError) {
    switch step {
    case .batch(let c): try store.commit(c)
    case .join(let c, let k, let p): try store.commit(c, joining: k, from: p)
    }
}

func uploadStates(_ steps: [UploadStep]) -> [[UInt32: [UInt8]]] {
    var s: [UInt32: [UInt8]] = [:]
    var out = [s]
    for step in steps {
        let before = s
        let changes: [StoreChange]
        switch step {
        case .batch(let c): changes = c
        case .join(let c, _, _): changes = c
        }
        for c in changes {
            switch c {
            case .write(let k, let v): s[k] = v
            case .remove(let k): s[k] = nil
            }
        }
        if case .join(_, let k, let pieces) = step {
            var v: [UInt8] = []
            for p in pieces {
                switch p {
                case .bytes(let b): v += b
                case .stored(let key): v += before[key]!
                }
            }
            s[k] = v
        }
        out.append(s)
    }
    return out
}

/// Two halves of 160 blocks (80 KiB): the uploads write about twice
/// that, so joins go through compactions too.
let uploadBlocks: UInt64 = 322

@Test func joinedValuesAreThePiecesAndSurviveReopening() throws {
    let disk = CrashDisk(blocks: uploadBlocks)
    let store = try BlockStore(volume: disk, generation: counter())
    let steps = uploads()
    for s in steps { try run(s, on: store) }
    let expected = uploadStates(steps).last!
    #expect(contents(store) == expected)
    #expect(store.keys() == [1, 2, 3, 7])
    #expect(store.compactions >= 1)
    let again = try BlockStore(volume: CrashDisk(image: disk.medium), formatIfBlank: false)
    #expect(contents(again) == expected)
    // The default (in memory) gives the same on another store.
    let memory = MemoryStore()
    for s in steps { try run(s, on: memory) }
    var m: [UInt32: [UInt8]] = [:]
    for k in memory.keys() { m[k] = try memory.read(k) }
    #expect(m == expected)
    // A missing part: refused, nothing changes.
    #expect(throws: StorageError.missing) { try store.commit([.remove(key: 7)], joining: 9, from: [.stored(12345)]) }
    #expect(contents(store) == expected)
}

@Test func crashAtEveryWriteOfUploadsLosesNothingAcknowledged() throws {
    let steps = uploads()
    let expected = uploadStates(steps)
    let clean = CrashDisk(blocks: uploadBlocks)
    let store = try BlockStore(volume: clean, generation: counter())
    for s in steps { try run(s, on: store) }
    for n in 1...clean.writes {
        for (loss, torn) in [(CrashDisk.Loss.keepAll, true), (.dropAll, true), (.random(UInt64(n)), true), (.newestOnly, false)] {
            let crash = crashRun(steps, blocks: uploadBlocks, stoppingAt: n, loss: loss, torn: torn) { try run($0, on: $1) }
            guard let recovered = crash.recovered else { continue }
            let got = contents(recovered)
            let match = possibleStates(crash.acknowledged, of: steps.count).first { expected[$0] == got }
            #expect(match != nil, "crash at write \(n) (\(loss)): \(crash.acknowledged) steps acknowledged, state matches none")
        }
    }
}
