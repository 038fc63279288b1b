// Amoeba's names for request commands, so a capture reads `STD_INFO`
// rather than `1004`. The numbers come from each server's protocol module
// where the project has one (standard commands, SOAP, Bullet, the node's
// servers); proc, disk and tty commands are listed from AMOEBA-FACTS.md
// until their modules exist. Reply statuses are named by ErrorCode.

import AmoebaCore

public enum CommandNames {
    private static let table: [UInt16: String] = [
        StandardCommand.monitor: "STD_MONITOR", StandardCommand.age: "STD_AGE",
        StandardCommand.copy: "STD_COPY", StandardCommand.destroy: "STD_DESTROY",
        StandardCommand.info: "STD_INFO", StandardCommand.restrict: "STD_RESTRICT",
        StandardCommand.status: "STD_STATUS", StandardCommand.touch: "STD_TOUCH",
        StandardCommand.getParams: "STD_GETPARAMS", StandardCommand.setParams: "STD_SETPARAMS",
        StandardCommand.nTouch: "STD_NTOUCH",
        2001: "BS_CREATE", 2002: "BS_DELETE", 2003: "BS_FSCK", 2004: "BS_INSERT",
        2005: "BS_MODIFY", 2006: "BS_READ", 2007: "BS_SIZE", 2008: "BS_DISK_COMPACT", 2009: "BS_SYNC",
        2100: "SP_CREATE", 2101: "SP_DISCARD", 2102: "SP_LIST", 2103: "SP_APPEND",
        2104: "SP_CHMOD", 2105: "SP_DELETE", 2106: "SP_LOOKUP", 2107: "SP_SETLOOKUP",
        2108: "SP_INSTALL", 2109: "SP_PUTTYPE", 2110: "SP_REPLACE", 2111: "SP_GETMASKS",
        2112: "SP_GETSEQNR",
        2201: "DS_INFO", 2202: "DS_READ", 2203: "DS_SIZE", 2204: "DS_WRITE",
        2205: "DS_GETGEOMETRY", 2206: "DS_CONTROL",
        2300: "PS_STUN", 2301: "PS_GETOWNER", 2302: "PS_SETOWNER", 2303: "PS_EXEC",
        2304: "PS_GETDEF", 2305: "PS_GETLOAD", 2306: "PS_SEG_CREATE", 2307: "PS_SEG_WRITE",
        2308: "PS_CHECKPOINT", 2309: "PS_SETCOMMENT", 2310: "PS_GETCOMMENT",
        2311: "PS_SWAPPROC", 2312: "PS_SGETLOAD",
        2400: "TOD_GETTIME", 2500: "SYS_PRINTBUF", 2501: "SYS_KSTAT", 2600: "RND_GETRANDOM",
        4052: "FSQ_READ", 4053: "FSQ_WRITE",
    ]

    /// `STD_INFO`, or `command 4711` for a number nobody named.
    public static func name(of command: UInt16) -> String {
        table[command] ?? "command \(command)"
    }
}
