// Which frames flipdump shows: by FLIP type, by the RPC put-port a request
// or reply is for, by a FLIP address at either end. Every condition given
// must hold.

import AmoebaCore
import FLIP

public struct FrameFilter: Sendable {
    public var flipTypes: Set<UInt8> = []
    public var port: Port?
    public var address: FLIPAddress?

    public init(flipTypes: Set<UInt8> = [], port: Port? = nil, address: FLIPAddress? = nil) {
        self.flipTypes = flipTypes
        self.port = port
        self.address = address
    }

    /// The FLIP type number for a name such as `unidata` or `HEREIS`.
    public static func flipType(named name: String) -> UInt8? {
        ["locate": 1, "hereis": 2, "unidata": 3, "multidata": 4, "nothere": 5, "untrusted": 6][name.lowercased()]
    }

    public func accepts(_ frame: DecodedFrame) -> Bool {
        if !flipTypes.isEmpty {
            guard let t = frame.flip?.type, flipTypes.contains(t) else { return false }
        }
        if let port {
            guard frame.amp?.port == port || frame.header?.port == port else { return false }
        }
        if let address {
            guard let f = frame.flip, f.source == address || f.destination == address else { return false }
        }
        return true
    }
}
