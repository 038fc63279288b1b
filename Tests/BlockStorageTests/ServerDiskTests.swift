import AmoebaCore
import BlockStorage
import Storage
import Testing

/// The layout the kernel and amoeba-init share: where the label and the
/// two stores lie, and a label that names the root or nothing.
@Suite struct ServerDiskTests {
    @Test func layoutSplitsTheDisk() throws {
        let d = try #require(ServerDisk(blockCount: 32768))
        #expect(d.label == 0..<64)
        #expect(d.directoryStore == 64..<(64 + 4096))
        #expect(d.fileStore == (64 + 4096)..<32768)
        let small = try #require(ServerDisk(blockCount: 64 + 402 + 402))
        #expect(small.directoryStore.count == 402 && small.fileStore.count == 402)
        #expect(ServerDisk(blockCount: 64 + 402 + 401) == nil)
        #expect(ServerDisk(blockCount: 0) == nil)
    }

    @Test func labelNamesTheRootOrNothing() {
        let root = Capability(bytes: Array(1...16))!
        let block = ServerDisk.labelBlock(root: root)
        #expect(block.count == 512)
        #expect(ServerDisk.root(inLabel: block) == root)
        #expect(ServerDisk.root(inLabel: [UInt8](repeating: 0, count: 512)) == nil)
        for i in 0..<24 {
            var bad = block
            bad[i] ^= 0x10
            #expect(ServerDisk.root(inLabel: bad) == nil)
        }
        #expect(ServerDisk.root(inLabel: Array(block[0..<23])) == nil)
    }
}
