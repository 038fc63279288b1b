// What a stranger on the segment can send without receiving anything:
// frames built by hand with any source MAC, FLIP address, kid and tid.

import AmoebaCore
import FLIP
@testable import RPC

enum Forgery {
    static func address(_ v: UInt64) -> FLIPAddress {
        FLIPAddress(bytes: (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) })!
    }

    static func mac(_ v: UInt64) -> EthernetAddress {
        EthernetAddress(bytes: [0x06] + (0..<5).map { UInt8(truncatingIfNeeded: v >> (32 - 8 * UInt64($0))) })!
    }

    /// One FLIP packet in one frame.
    static func frame(_ type: FLIPPacketType, from mac: EthernetAddress, to dstMAC: EthernetAddress,
                      source: FLIPAddress, destination: FLIPAddress, messageID: UInt32,
                      payload: [UInt8]) -> [UInt8] {
        let h = FLIPHeader(type: type, maximumHops: 25, destination: destination, source: source,
                           messageID: messageID, length: UInt32(payload.count), total: UInt32(payload.count))
        return EthernetFrame(destination: dstMAC, source: mac, control: FragmentControl(type: .data),
                             flip: h, data: payload).encoded()
    }

    /// A REQUEST: unicast to `server`, or broadcast as a port locate is.
    static func request(port: Port, kid: KernelID, tid: UInt32, source: FLIPAddress, mac: EthernetAddress,
                        server: FLIPAddress, serverMAC: EthernetAddress, broadcast: Bool,
                        messageID: UInt32, key: UInt64) -> [UInt8] {
        let amp = AmpHeader(kid: kid, port: port, type: .request, tid: tid, dest: 100, from: 1)
        var data = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: key >> UInt64(8 * i)) }
        var body = RPCMessage(header: Header(port: port, command: 1), data: data).encoded(after: amp)
        if broadcast {
            body = [0, 0, 0, UInt8(BroadcastProtocol.rpc.rawValue)] + body
            return frame(.multidata, from: mac, to: .broadcast, source: source, destination: .null,
                         messageID: messageID, payload: body)
        }
        return frame(.unidata, from: mac, to: serverMAC, source: source, destination: server,
                     messageID: messageID, payload: body)
    }
}
