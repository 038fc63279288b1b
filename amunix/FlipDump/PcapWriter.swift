// Writes frames as a classic pcap file (Ethernet link type), readable by
// tcpdump, tshark and flipdump -r. The format is a 24-byte file header and
// a 16-byte record header a frame; written by hand because it is that
// small and lets `-w` work on any source, a UDP segment included.

#if canImport(Glibc)
import Glibc
#endif

public final class PcapWriter {
    private let file: UnsafeMutablePointer<FILE>

    /// Creates (or truncates) `path`, readable by its owner only: the
    /// frames carry capabilities. Nil when it cannot be opened.
    public init?(path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return nil }
        fchmod(fd, 0o600)   // a file that was there keeps its mode otherwise
        guard let f = fdopen(fd, "wb") else {
            Glibc.close(fd)
            return nil
        }
        file = f
        var header = [UInt8]()
        Self.append(UInt32(0xA1B2_C3D4), to: &header)  // microsecond timestamps
        Self.append(UInt16(2), to: &header)
        Self.append(UInt16(4), to: &header)
        Self.append(UInt32(0), to: &header)            // GMT offset
        Self.append(UInt32(0), to: &header)            // accuracy
        Self.append(UInt32(65535), to: &header)        // snap length
        Self.append(UInt32(1), to: &header)            // LINKTYPE_ETHERNET
        write(header)
    }

    public func write(frame: [UInt8], seconds: UInt32, microseconds: UInt32) {
        var record = [UInt8]()
        Self.append(seconds, to: &record)
        Self.append(microseconds, to: &record)
        Self.append(UInt32(frame.count), to: &record)
        Self.append(UInt32(frame.count), to: &record)
        write(record + frame)
        fflush(file)
    }

    public func close() { fclose(file) }

    private func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }

    private static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
}
