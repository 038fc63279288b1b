// The 32-byte Amoeba header that heads every request and reply.
//
// On a request it names the object (port + private part) and the command;
// on a reply `command` is the status. `offset`, `size` and `extra` are free
// parameters each command defines. In an RPC message its integers travel in
// the sender's byte order, as the amp header's BIGENDIAN flag says.

public struct Header: Hashable, Sendable {
    public static let size = 32

    public var port: Port
    public var signature: Port
    public var `private`: PrivatePart
    /// The command of a request, the status of a reply.
    public var command: UInt16
    public var offset: Int32
    public var size: UInt16
    public var extra: UInt16

    public init(port: Port = .null, signature: Port = .null,
                private: PrivatePart = Capability.null.private,
                command: UInt16 = 0, offset: Int32 = 0, size: UInt16 = 0, extra: UInt16 = 0) {
        self.port = port
        self.signature = signature
        self.private = `private`
        self.command = command
        self.offset = offset
        self.size = size
        self.extra = extra
    }

    /// A request header addressed to the object `cap` names.
    public init(capability cap: Capability, command: UInt16) {
        self.init(port: cap.port, private: cap.private, command: command)
    }

    /// The reply status, read as a signed error code.
    public var status: ErrorCode {
        get { ErrorCode(rawValue: Int16(bitPattern: command)) }
        set { command = UInt16(bitPattern: newValue.rawValue) }
    }

    /// The capability this header names (port + private part).
    public var capability: Capability {
        Capability(port: port, private: `private`)
    }

    /// Appends the 32 bytes, or throws having written none of them: a
    /// writer that is out of room is left as it was.
    public func encode(into w: inout BufferWriter, order: ByteOrder = .little) throws(MarshalError) {
        let available = w.limit - w.count
        guard available >= Header.size else {
            throw .overflow(needed: Header.size, available: available)
        }
        try w.write(port)
        try w.write(signature)
        try w.write(`private`)
        try w.write(command, order)
        try w.write(offset, order)
        try w.write(size, order)
        try w.write(extra, order)
    }

    public func encoded(order: ByteOrder = .little) -> [UInt8] {
        var w = BufferWriter(reservingCapacity: Header.size)
        try! encode(into: &w, order: order)  // no limit: cannot fail
        return w.bytes
    }

    public static func decode(from r: inout BufferReader, order: ByteOrder = .little) throws(MarshalError) -> Header {
        guard r.remaining >= Header.size else {
            throw .truncated(needed: Header.size, available: r.remaining)
        }
        let port = try r.readPort()
        let signature = try r.readPort()
        let priv = try r.readPrivate()
        return Header(port: port, signature: signature, private: priv,
                      command: try r.readUInt16(order), offset: try r.readInt32(order),
                      size: try r.readUInt16(order), extra: try r.readUInt16(order))
    }

    public static func decode(_ bytes: [UInt8], order: ByteOrder = .little) throws(MarshalError) -> Header {
        var r = BufferReader(bytes)
        return try decode(from: &r, order: order)
    }
}

extension Header {
    /// This header as the reply carrying `result`: status OK and `size` set
    /// to the data's length, or the error with no data.
    public func reply(_ result: Result<[UInt8], ErrorCode>) -> (Header, [UInt8]) {
        var h = self
        switch result {
        case .success(let bytes):
            h.status = .ok
            h.size = UInt16(truncatingIfNeeded: bytes.count)
            return (h, bytes)
        case .failure(let code):
            h.status = code
            h.size = 0
            return (h, [])
        }
    }
}
