// DiskStore keeps the files it reads and writes piece by piece open
// between calls and starts a growing draft's writeback early
// (DescriptorCache.swift, DiskStore.swift): an upload and a download open
// their file once; a replaced or removed object is never read through the
// descriptor of its old file; many drafts at once keep only a few
// descriptors; writeback is started as a draft grows; and what is read
// back is always what was written.

import DiskStorage
import Foundation
import Storage
import Testing
import TestSupport

@Suite struct DiskStoreOpenFileTests {
    @Test func anUploadAndADownloadOpenTheirFileOnce() throws {
        let path = temporaryDirectory("disk-open-once")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try DiskStore(path: path)
        let data = pattern(200 * 1000 + 17, seed: 3)
        #expect(try store.startDraft(1, Array(data[0..<1000])))
        for at in stride(from: 1000, to: data.count, by: 1000) {
            try store.writeDraft(1, at: at, Array(data[at..<min(at + 1000, data.count)]))
        }
        try store.commitDraft(1)
        #expect(store.filesOpened == 1)
        var back: [UInt8] = []
        for at in stride(from: 0, to: data.count, by: 1000) { back += try store.read(1, offset: at, count: 1000) }
        #expect(back == data)
        #expect(store.filesOpened == 2)
    }

    @Test func aReplacedObjectIsReadFromItsNewFile() throws {
        let path = temporaryDirectory("disk-open-replaced")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try DiskStore(path: path)
        try store.commit(.write(key: 5, bytes: pattern(3000, seed: 1)))
        #expect(try store.read(5, offset: 0, count: 3000) == pattern(3000, seed: 1))
        // Rewritten by a commit, and by a draft's commit: renamed over the
        // file a kept descriptor still reads.
        try store.commit(.write(key: 5, bytes: pattern(3000, seed: 2)))
        #expect(try store.read(5, offset: 0, count: 3000) == pattern(3000, seed: 2))
        #expect(try store.startDraft(5, pattern(2500, seed: 4)))
        #expect(try store.read(5, offset: 0, count: 3000) == pattern(3000, seed: 2))
        try store.commitDraft(5)
        #expect(try store.read(5, offset: 0, count: 3000) == pattern(2500, seed: 4))
        // Removed, then made again.
        try store.commit(.remove(key: 5))
        #expect(throws: StorageError.missing) { try store.read(5, offset: 0, count: 10) }
        try store.commit(.write(key: 5, bytes: [9, 9]))
        #expect(try store.read(5, offset: 0, count: 10) == [9, 9])
        // Another store on the same folder reads the same (no stale cache
        // outlives a restart).
        let again = try DiskStore(path: path, exclusive: false)
        #expect(try again.read(5) == [9, 9])
    }

    @Test func manyDraftsAtOnceKeepFewDescriptors() throws {
        let path = temporaryDirectory("disk-open-many")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try DiskStore(path: path)
        let keys = Array(UInt32(1)...40)
        for k in keys { #expect(try store.startDraft(k, pattern(100, seed: Int(k)))) }
        // Interleaved, so each write finds its draft's file closed again.
        for round in 1..<5 {
            for k in keys {
                try store.writeDraft(k, at: round * 100, Array(pattern(500, seed: Int(k))[(round * 100)..<((round + 1) * 100)]))
            }
            #expect(store.descriptorsKept <= 16)
        }
        // Dropped ones go with their files; committed ones read whole.
        for k in keys where k % 2 == 0 { store.dropDraft(k) }
        for k in keys where k % 2 == 1 { try store.commitDraft(k) }
        #expect(store.descriptorsKept <= 16)
        for k in keys where k % 2 == 1 { #expect(try store.read(k) == pattern(500, seed: Int(k))) }
        for k in keys where k % 2 == 0 { #expect(store.size(of: k) == nil) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("td") }.isEmpty)
    }

    @Test func writebackStartsAsADraftGrows() throws {
        let path = temporaryDirectory("disk-writeback")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try DiskStore(path: path)
        store.writebackChunk = 64 << 10
        let data = pattern(1 << 20, seed: 8)
        #expect(try store.startDraft(2, Array(data[0..<30000])))
        for at in stride(from: 30000, to: data.count, by: 30000) {
            try store.writeDraft(2, at: at, Array(data[at..<min(at + 30000, data.count)]))
        }
        #expect(store.writebackStarted >= data.count - (64 << 10) - 30000)
        #expect(store.writebackStarted <= data.count)
        // A piece rewritten behind the mark is still what the commit keeps.
        try store.writeDraft(2, at: 100, [1, 2, 3])
        try store.commitDraft(2)
        var expected = data
        expected.replaceSubrange(100..<103, with: [1, 2, 3])
        #expect(try store.read(2) == expected)
    }
}
