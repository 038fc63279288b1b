// An Amoeba binary file, as acv writes it: the process descriptor first,
// then the text (with the read-only data), then the initialised data. The
// descriptor names four segments: text (read-only, from the file just
// after the descriptor), data (read-write, from the file after the text),
// BSS (zero-filled, from the first page past the data), and the stack
// (MAP_SYSTEM, length 0: whoever execs the binary lays its stack there),
// and one new thread starting at the entry point. Segments read from the
// file carry a null capability; the reader (ax, exec_file) fills in the
// file's own before the exec.
import AmoebaCore

public enum AmoebaBinary {
    /// acv's default extra BSS beyond what the program declares (acv -b).
    public static let extraBSS: UInt32 = 16 * 1024

    public enum BuildError: Error, Equatable, Sendable {
        case misalignedText
        case misalignedData
    }

    /// The binary of a program whose text (and rodata) load at
    /// `textAddress` and whose data load at `dataAddress`, `dataMemorySize`
    /// bytes of which the first `data.count` come from the file.
    public static func build(entry: UInt32, textAddress: UInt32, text: [UInt8], dataAddress: UInt32, data: [UInt8],
                             dataMemorySize: UInt32, extraBSS: UInt32 = AmoebaBinary.extraBSS) throws(BuildError) -> [UInt8] {
        guard textAddress & 0xFFF == 0 else { throw .misalignedText }
        guard dataAddress & 0xFFF == 0 else { throw .misalignedData }
        // Trailing zeros need not travel: the kernel zero-fills what the
        // file does not cover (a linker often writes .bss out as zeros).
        var data = data
        let dataMemorySize = max(dataMemorySize, UInt32(data.count))
        while data.last == 0 { data.removeLast() }
        let headerSize = Int32(ProcessDescriptor.headerSize + 4 * ProcessSegment.wireSize + ThreadDescriptor.newThreadSize)
        let dataFileEnd = dataAddress + UInt32(data.count)
        let bssStart = (dataFileEnd + 0xFFF) & ~0xFFF
        let bssEnd = dataAddress + max(dataMemorySize, UInt32(data.count))
        let bssLength = (bssEnd > bssStart ? bssEnd - bssStart : 0) + extraBSS
        let pd = ProcessDescriptor(
            segments: [
                ProcessSegment(offset: headerSize, address: textAddress, length: UInt32(text.count), type: .binaryText),
                ProcessSegment(offset: headerSize + Int32(text.count), address: dataAddress,
                               length: UInt32(data.count), type: .binaryData),
                ProcessSegment(address: bssStart, length: bssLength, type: .binaryBSS),
                ProcessSegment(address: 0, length: 0, type: .binaryStack),
            ],
            threads: [.idle(pc: entry, sp: 0)])
        let descriptor = pd.encoded()
        return descriptor + text + data
    }

    /// The descriptor at the front of a binary file, with the file's
    /// capability put into every segment read from the file (a null port
    /// and a nonzero offset), as pd_read does.
    public static func descriptor(of fileStart: [UInt8], file: Capability) throws(DescriptorError) -> ProcessDescriptor {
        var pd = try ProcessDescriptor.decode(fileStart, exact: false)
        for i in pd.segments.indices where pd.segments[i].capability.port.isNull && pd.segments[i].offset != 0 {
            pd.segments[i].capability = file
        }
        return pd
    }
}
