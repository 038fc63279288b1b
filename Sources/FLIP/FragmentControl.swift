// The two-byte fragment control header of FLIP over Ethernet.
//
// Between the Ethernet header and the FLIP header sits `{type, count}`. A
// DATA frame carries a FLIP packet and may piggyback `count` credits for the
// receiver's own traffic back to us; CREDIT and ABSCREDIT frames carry only
// credits (added to, or replacing, what the peer may send); REQCREDIT asks
// a stalled peer to say how much we may send. The multicast types belong to
// Amoeba's multicast registration and are decoded but not acted on.

public enum FragmentControlType: UInt8, Sendable {
    case data = 0
    case requestCredit = 1
    case credit = 2
    case multicastRequest = 3
    case multicastAck = 4
    case multicastNak = 5
    case absoluteCredit = 6
}

public enum FragmentControlError: Error, Equatable, Sendable {
    case truncated(available: Int)
    case unknownType(UInt8)
}

public struct FragmentControl: Hashable, Sendable {
    public static let size = 2

    public var type: FragmentControlType
    public var count: UInt8

    public init(type: FragmentControlType, count: UInt8 = 0) {
        self.type = type
        self.count = count
    }

    public var encoded: [UInt8] { [type.rawValue, count] }

    public static func decode(_ bytes: [UInt8], at start: Int = 0) throws(FragmentControlError) -> FragmentControl {
        guard start >= 0, start <= bytes.count, bytes.count - start >= size else {
            throw .truncated(available: max(0, bytes.count - max(0, start)))
        }
        guard let type = FragmentControlType(rawValue: bytes[start]) else {
            throw .unknownType(bytes[start])
        }
        return FragmentControl(type: type, count: bytes[start + 1])
    }
}
