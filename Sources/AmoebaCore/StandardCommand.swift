// The standard commands every Amoeba server understands (std_*), and the
// type characters that begin a `std_info` reply.

public enum StandardCommand {
    public static let monitor: UInt16 = 1000
    public static let age: UInt16 = 1001
    public static let copy: UInt16 = 1002
    public static let destroy: UInt16 = 1003
    public static let info: UInt16 = 1004
    public static let restrict: UInt16 = 1005
    public static let status: UInt16 = 1006
    public static let touch: UInt16 = 1007
    public static let getParams: UInt16 = 1008
    public static let setParams: UInt16 = 1009
    public static let nTouch: UInt16 = 1010

    private static let names: [(UInt16, String)] = [
        (1000, "STD_MONITOR"), (1001, "STD_AGE"), (1002, "STD_COPY"),
        (1003, "STD_DESTROY"), (1004, "STD_INFO"), (1005, "STD_RESTRICT"),
        (1006, "STD_STATUS"), (1007, "STD_TOUCH"), (1008, "STD_GETPARAMS"),
        (1009, "STD_SETPARAMS"), (1010, "STD_NTOUCH"),
    ]

    /// Amoeba's name for a standard command, nil for any other number.
    public static func name(of command: UInt16) -> String? {
        for (c, n) in names where c == command { return n }
        return nil
    }
}

/// The first character of a `std_info` string says what kind of object it is.
public enum ObjectType: UInt8, Sendable {
    case directory = 0x2F        // "/"
    case kernelDirectory = 0x25  // "%"
    case file = 0x2D             // "-"
    case disk = 0x40             // "@"
    case tty = 0x2B              // "+"
    case process = 0x21          // "!"
}
