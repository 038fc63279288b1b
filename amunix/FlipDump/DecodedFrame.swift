// One captured frame taken apart by the project's own decoders, the same
// ones the FLIP box and the RPC machines run: fragment control, FLIP
// header, the HEREIS trailer, the broadcast protocol id of a port locate,
// the amp header and the Amoeba header. flipdump prints these; a frame
// that does not decode keeps what did and says why the rest did not, so a
// capture of a misbehaving peer is as readable as a good one.

import AmoebaCore
import FLIP
import RPC

public struct DecodedFrame: Sendable {
    public var ethernetSource: EthernetAddress?
    public var ethernetDestination: EthernetAddress?
    public var control: FragmentControl?
    public var flip: FLIPHeader?
    public var order: ByteOrder = .little
    /// The FLIP data of this frame (trimmed to the header's length).
    public var data: [UInt8] = []
    public var hereIs: HereIsTrailer?
    /// The protocol a port locate broadcast names (RPC or group).
    public var locateProtocol: BroadcastProtocol?
    public var amp: AmpHeader?
    public var header: Header?
    /// Bytes after the Amoeba header in this frame.
    public var payload: [UInt8] = []
    /// Why decoding stopped early, if it did.
    public var problem: String?

    public var isRequest: Bool { amp?.type == .request }
    public var isReply: Bool { amp?.type == .reply }

    /// Decodes one whole Ethernet frame (EtherType 0x8146).
    public init(frame bytes: [UInt8]) {
        guard bytes.count >= EthernetFrame.headerSize else {
            problem = "frame of \(bytes.count) bytes is shorter than an Ethernet header"
            return
        }
        ethernetDestination = EthernetAddress(bytes: bytes[0..<6])
        ethernetSource = EthernetAddress(bytes: bytes[6..<12])
        let frame: EthernetFrame
        do {
            frame = try EthernetFrame.decode(bytes)
        } catch {
            problem = "\(error)"
            if bytes.count >= 16 { control = try? FragmentControl.decode(bytes, at: 14) }
            return
        }
        control = frame.control
        guard let flip = frame.flip else { return }
        self.flip = flip
        order = frame.order
        data = frame.data
        decodePayload()
    }

    private mutating func decodePayload() {
        guard let flip else { return }
        switch flip.packetType {
        case .hereIs:
            hereIs = try? HereIsTrailer.decode(data, order: order)
        case .unidata, .multidata:
            // Only a message's first fragment starts with the amp header.
            guard flip.offset == 0 else { return }
            var r = BufferReader(data)
            if flip.packetType == .multidata, flip.destination == .null, data.count >= 4 {
                let id = UInt32(data[0]) << 24 | UInt32(data[1]) << 16 | UInt32(data[2]) << 8 | UInt32(data[3])
                if let p = BroadcastProtocol(rawValue: id) {
                    locateProtocol = p
                    _ = try? r.readBytes(4)
                }
            }
            guard locateProtocol != .group else { return }
            do {
                let a = try AmpHeader.decode(from: &r)
                amp = a
                guard a.type == .request || a.type == .reply else { return }
                guard r.remaining >= Header.size else {
                    problem = "\(a.type) with \(r.remaining) bytes where the 32-byte Amoeba header belongs"
                    return
                }
                header = try Header.decode(from: &r, order: a.byteOrder)
                payload = r.readRest()
            } catch {
                problem = "not an RPC message: \(error)"
            }
        default:
            return
        }
    }
}
