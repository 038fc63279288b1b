// fuzz-modules: AmoebaCore Servers/Storage Servers/BlockStorage
// The block store reads whatever a disk holds when it opens: recovery must
// never trap, whatever the bytes. The input is a volume image (padded to
// 24 blocks); opening either refuses it or gives a store that can commit a
// batch and opens again with that batch in it. The record and superblock
// decoders also run on the raw input.

final class FuzzVolume: BlockVolume {
    var image: [UInt8]
    init(_ image: [UInt8]) { self.image = image }
    var blockCount: UInt64 { UInt64(image.count / 512) }
    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard count >= 0, first + UInt64(count) <= blockCount else { throw .system(22) }
        return Array(image[Int(first) * 512..<(Int(first) + count) * 512])
    }
    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard data.count % 512 == 0, first + UInt64(data.count / 512) <= blockCount else { throw .system(22) }
        image.replaceSubrange(Int(first) * 512..<Int(first) * 512 + data.count, with: data)
    }
    func flush() throws(StorageError) {}
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = StoreRecord.decode(bytes)
    _ = Superblock.decode(bytes)
    var image = Array(bytes.prefix(24 * 512))
    image += [UInt8](repeating: 0, count: 24 * 512 - image.count)
    let volume = FuzzVolume(image)
    var n: UInt64 = 0
    guard let store = try? BlockStore(volume: volume, generation: { n += 1; return n }) else { return 0 }
    for k in store.keys() { _ = try? store.read(k, offset: 1, count: 3) }
    guard (try? store.commit([.write(key: 7, bytes: [1, 2, 3]), .remove(key: 8)])) != nil else { return 0 }
    guard let again = try? BlockStore(volume: volume, formatIfBlank: false),
          (try? again.read(7)) == [1, 2, 3], again.size(of: 8) == nil else { fatalError("a committed batch is not there after reopening") }
    return 0
}
