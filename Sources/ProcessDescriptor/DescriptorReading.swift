// The reads a descriptor decoder makes, each turning a short buffer into
// DescriptorError.truncated, so the decoders throw one typed error.
import AmoebaCore

extension BufferReader {
    mutating func pdU16() throws(DescriptorError) -> UInt16 {
        do throws(MarshalError) { return try readUInt16() } catch { throw .truncated }
    }

    mutating func pdU32() throws(DescriptorError) -> UInt32 {
        do throws(MarshalError) { return try readUInt32() } catch { throw .truncated }
    }

    mutating func pdI32() throws(DescriptorError) -> Int32 {
        do throws(MarshalError) { return try readInt32() } catch { throw .truncated }
    }

    mutating func pdBytes(_ n: Int) throws(DescriptorError) -> [UInt8] {
        do throws(MarshalError) { return try readBytes(n) } catch { throw .truncated }
    }

    mutating func pdCapability() throws(DescriptorError) -> Capability {
        do throws(MarshalError) { return try readCapability() } catch { throw .truncated }
    }
}
