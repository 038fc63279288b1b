// What a transaction carries: the Amoeba header and a data buffer, in both
// directions. On the wire a REQUEST or REPLY is the amp header, this header
// (in the sender's byte order) and the data.

import AmoebaCore
import FLIP

public struct RPCMessage: Hashable, Sendable {
    public var header: Header
    public var data: [UInt8]

    public init(header: Header, data: [UInt8] = []) {
        self.header = header
        self.data = data
    }

    /// The FLIP payload of a REQUEST or REPLY with this message.
    func encoded(after amp: AmpHeader) -> [UInt8] {
        // One allocation, the headers stored at their offsets, the data copied once.
        return FixedOffsets.bytes(headers: AmpHeader.size + Header.size, then: data) { p in
            amp.store(p, at: 0)
            header.store(p, at: AmpHeader.size)
        }
    }

    /// The same payload as `encoded(after:)`, built `FLIPBox.headroom`
    /// bytes into the buffer, for the box to send in place.
    func framed(after amp: AmpHeader) -> [UInt8] {
        let o = FLIPBox.headroom
        return FixedOffsets.bytes(headers: o + AmpHeader.size + Header.size, then: data) { p in
            amp.store(p, at: o)
            header.store(p, at: o + AmpHeader.size)
        }
    }

    /// Whether this message's payload (amp header, Amoeba header, data)
    /// fits in one frame of `box`: then it is built whole with `framed`
    /// and sent in place; a longer one goes out as `framedHeaders` and a
    /// view of `data`, which the box copies piece by piece into its
    /// fragments' frames, so the data is not first copied behind the headers.
    func fitsOneFrame(of box: FLIPBox) -> Bool {
        AmpHeader.size + Header.size + data.count <= box.configuration.maxFragmentData
    }

    /// The payload's headers alone, `FLIPBox.headroom` bytes into the
    /// buffer: the head of a message sent with `unicast(framed:then:)`.
    func framedHeaders(after amp: AmpHeader) -> [UInt8] {
        let o = FLIPBox.headroom
        return FixedOffsets.bytes(headers: o + AmpHeader.size + Header.size) { p in
            amp.store(p, at: o)
            header.store(p, at: o + AmpHeader.size)
        }
    }

    /// As `framed(after:)`, built in `buffer` (FixedOffsets.build).
    func framed(after amp: AmpHeader, into buffer: inout [UInt8]) {
        let o = FLIPBox.headroom
        FixedOffsets.build(into: &buffer, headers: o + AmpHeader.size + Header.size, then: data[...]) { p in
            amp.store(p, at: o)
            header.store(p, at: o + AmpHeader.size)
        }
    }

    /// The message after an amp header already read from `r`.
    static func decode(from r: inout BufferReader, order: ByteOrder) -> RPCMessage? {
        guard r.remaining >= Header.size else { return nil }
        let start = r.offset
        let header = r.bytes.withUnsafeBytes { Header.load($0.baseAddress!, at: start, order: order) }
        try! r.skip(Header.size)  // checked above
        return RPCMessage(header: header, data: r.readRest())
    }

    /// The message at index `at` of `bytes` (after an amp header read in
    /// place), followed by `body`: the header read where it lies, the data
    /// copied out, or when all of it is in `body` (a reassembled message,
    /// split after its headers), `body` itself with no copy.
    static func decode(_ bytes: ArraySlice<UInt8>, at: Int, then body: [UInt8] = [],
                       order: ByteOrder) -> RPCMessage? {
        bytes.withUnsafeBytes { decode($0, at: at - bytes.startIndex, then: body, order: order) }
    }

    /// As above, `bytes` a raw view of the message (the caller keeps it
    /// alive), `at` counted from its start; `body` moves into the message.
    static func decode(_ bytes: UnsafeRawBufferPointer, at: Int, then body: consuming [UInt8],
                       order: ByteOrder) -> RPCMessage? {
        guard bytes.count - at >= Header.size else {
            // Headers cut short in front of a body: not what the box
            // delivers, but decoded all the same, joined.
            guard !body.isEmpty, at <= bytes.count else { return nil }
            let joined = Array(UnsafeRawBufferPointer(rebasing: bytes[at...])) + body
            return joined.withUnsafeBytes { decode($0, at: 0, then: [], order: order) }
        }
        let header = Header.load(bytes.baseAddress!, at: at, order: order)
        let dataStart = at + Header.size
        if dataStart == bytes.count { return RPCMessage(header: header, data: consume body) }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        // One array made, not two: `Array(…) + body` copied the data into
        // a first array and then into a second for the join, even with
        // nothing to join (a message in one frame).
        guard !body.isEmpty else { return RPCMessage(header: header, data: Array(rest)) }
        var data = [UInt8]()
        data.reserveCapacity(rest.count + body.count)
        data.append(contentsOf: rest)
        data.append(contentsOf: body)
        return RPCMessage(header: header, data: data)
    }
}

/// A handle on one client transaction, unique for the life of an RPC node.
/// Its low 16 bits are the call's state index while it runs (0 for one
/// refused before it had one), the rest a serial number: so ids order by
/// start, and a driver can file its own records by the small index.
public struct TransactionID: Hashable, Sendable {
    public let rawValue: UInt64

    init(serial: UInt64, stateIndex: UInt16) {
        rawValue = serial << 16 | UInt64(stateIndex)
    }

    /// The state index the call held (0: none). Indices are reused, so
    /// two ids may share one, though never two calls running at once.
    public var stateIndex: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
}

/// A server thread's place in the protocol: the value getreq hands out and
/// putrep takes back.
public struct ServerSlotID: Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
}

/// What an RPC node reports to the code above it.
public enum RPCEvent: Sendable {
    /// A `trans` finished: the reply, or the Amoeba error that ended it.
    case transactionCompleted(TransactionID, Result<RPCMessage, ErrorCode>)
    /// A request arrived for a server slot waiting in getreq.
    case requestArrived(ServerSlotID, RPCMessage)
    // A putrep's end is no event: nobody waits for it, and the driver only
    // counted it, so the machine counts it itself (`RPCNode.replies`), and
    // the ACK that ends nearly every transaction's putrep leaves nothing
    // to route.
}
