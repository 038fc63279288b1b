// Amoeba's error codes: the RPC layer's (-1 to -9) and the standard ones
// every server shares (-1000 and below). A reply's status is one of these,
// or 0 for success, or a server-specific negative number.

public struct ErrorCode: RawRepresentable, Hashable, Sendable, Error {
    public var rawValue: Int16
    @inlinable public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Computed and inlinable, as `Port.null` is: read at every reply.
    @inlinable public static var ok: ErrorCode { ErrorCode(rawValue: 0) }

    // The RPC layer.
    public static let rpcFailure = ErrorCode(rawValue: -1)
    public static let rpcNotFound = ErrorCode(rawValue: -2)
    public static let rpcBadAddress = ErrorCode(rawValue: -3)
    public static let rpcAborted = ErrorCode(rawValue: -4)
    public static let rpcTryAgain = ErrorCode(rawValue: -5)
    public static let rpcBadCommand = ErrorCode(rawValue: -6)
    public static let rpcRemote = ErrorCode(rawValue: -7)
    public static let rpcBadPort = ErrorCode(rawValue: -8)
    public static let rpcUnsafe = ErrorCode(rawValue: -9)

    // Standard errors.
    public static let capabilityBad = ErrorCode(rawValue: -1000)
    public static let commandBad = ErrorCode(rawValue: -1001)
    public static let argumentBad = ErrorCode(rawValue: -1002)
    public static let notNow = ErrorCode(rawValue: -1003)
    public static let noSpace = ErrorCode(rawValue: -1004)
    public static let denied = ErrorCode(rawValue: -1005)
    public static let noMemory = ErrorCode(rawValue: -1006)
    public static let exists = ErrorCode(rawValue: -1007)
    public static let notFound = ErrorCode(rawValue: -1008)
    public static let systemError = ErrorCode(rawValue: -1009)
    public static let interrupted = ErrorCode(rawValue: -1010)
    public static let overflow = ErrorCode(rawValue: -1011)
    public static let writeProtected = ErrorCode(rawValue: -1012)
    public static let noMedium = ErrorCode(rawValue: -1013)

    private static let names: [(Int16, String)] = [
        (0, "STD_OK"),
        (-1, "RPC_FAILURE"), (-2, "RPC_NOTFOUND"), (-3, "RPC_BADADDRESS"),
        (-4, "RPC_ABORTED"), (-5, "RPC_TRYAGAIN"), (-6, "RPC_COMBAD"),
        (-7, "RPC_REMOTERPC"), (-8, "RPC_BADPORT"), (-9, "RPC_UNSAFE"),
        (-1000, "STD_CAPBAD"), (-1001, "STD_COMBAD"), (-1002, "STD_ARGBAD"),
        (-1003, "STD_NOTNOW"), (-1004, "STD_NOSPACE"), (-1005, "STD_DENIED"),
        (-1006, "STD_NOMEM"), (-1007, "STD_EXISTS"), (-1008, "STD_NOTFOUND"),
        (-1009, "STD_SYSERR"), (-1010, "STD_INTR"), (-1011, "STD_OVERFLOW"),
        (-1012, "STD_WRITEPROT"), (-1013, "STD_NOMEDIUM"),
        // The directory server's own codes, which tools print too.
        (-2101, "SP_UNAVAIL"), (-2102, "SP_NOTEMPTY"), (-2103, "SP_UNREACH"), (-2104, "SP_CLASH"),
    ]

    /// Every code this module names, in numeric order from 0 downwards.
    public static var allNamed: [ErrorCode] { names.map { ErrorCode(rawValue: $0.0) } }

    /// Amoeba's name for the code (`STD_CAPBAD`), or `error -N` when unnamed.
    public var name: String {
        for (code, name) in ErrorCode.names where code == rawValue { return name }
        return "error \(rawValue)"
    }

    /// The code for an Amoeba name such as `RPC_NOTFOUND`.
    public init?(name: String) {
        for (code, n) in ErrorCode.names where n == name {
            self.init(rawValue: code)
            return
        }
        return nil
    }

    public var isError: Bool { rawValue < 0 }
}
