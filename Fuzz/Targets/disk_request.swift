// fuzz-modules: AmoebaCore DiskProtocol
// The virtual disk's request arithmetic and reply decoders must never
// trap: a header's block size, first block and count against a disk of any
// size (the vdisk server's range check), the client's split of a long
// transfer, and the DS_INFO and DS_GETGEOMETRY decoders on the rest. An
// accepted range must lie inside the disk and fit the 29 KiB buffer.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let header = try? Header.decode(bytes) else { return 0 }
    var disk: UInt64 = 0
    for b in header.signature.bytes { disk = disk << 8 | UInt64(b) }
    disk >>= UInt64(header.signature[0] & 0x1F)
    let t = DiskTransfer(header: header)
    if case .success(let r) = t.physicalRange(diskBlocks: disk) {
        if r.count <= 0 || r.first + UInt64(r.count) > disk { fatalError("accepted a range outside the disk") }
        if r.count * DiskLimits.physicalBlockSize > DiskLimits.requestBufferSize { fatalError("accepted more than 29 KiB") }
        if t.byteCount != r.count * DiskLimits.physicalBlockSize { fatalError("byte count disagrees with the range") }
    }
    let pieces = DiskTransfer.split(shift: header.size, first: Int64(header.offset), count: Int64(header.extra) * 7)
    var covered: Int64 = 0
    for p in pieces {
        if p.byteCount == nil || p.byteCount! > DiskLimits.requestBufferSize || p.count == 0 { fatalError("a split piece is not a valid request") }
        covered += Int64(p.count)
    }
    if !pieces.isEmpty, covered != Int64(header.extra) * 7, pieces.last!.first < Int32.max - 65536 { fatalError("the split lost blocks") }
    let rest = Array(bytes[Header.size...])
    if let list = DiskPiece.decode(rest), DiskPiece.encode(list) != rest { fatalError("DS_INFO does not round-trip") }
    if let g = DiskGeometry.decode(rest), g.encoded != rest { fatalError("geometry does not round-trip") }
    _ = DiskInfoText.line(kilobytes: disk)
    return 0
}
