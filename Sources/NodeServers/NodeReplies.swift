// The reply shapes the node servers share: a bare status, text as std_info
// and kstat give it (no NUL, `size` = the byte count, as Amoeba's kernel
// servers send it), and the standard commands tod and random answer alike.
// Replies start from a fresh header, so nothing of the request leaks back
// but what a command puts there on purpose.
import AmoebaCore

/// A request or reply as every node server takes and gives it: the same
/// pair an RPC or a local transaction carries, so a server cannot tell a
/// local caller from a remote one.
public typealias NodeMessage = (header: Header, data: [UInt8])

extension Header {
    /// A reply header carrying only `code`.
    public static func status(_ code: ErrorCode) -> Header {
        var h = Header()
        h.status = code
        return h
    }
}

enum NodeReply {
    static func status(_ code: ErrorCode) -> NodeMessage { (Header.status(code), []) }

    static func text(_ s: String) -> NodeMessage { bytes(Array(s.utf8)) }

    /// STD_OK with `data`, its length in `size`.
    static func bytes(_ data: [UInt8]) -> NodeMessage {
        var h = Header.status(.ok)
        h.size = UInt16(truncatingIfNeeded: data.count)
        return (h, data)
    }
}

extension ServiceIdentity {
    /// The standard commands as Amoeba's tod and random servers answer
    /// them: STD_INFO gives `info`, STD_AGE and STD_TOUCH are accepted (the
    /// object never expires), STD_RESTRICT cuts the capability down. nil for
    /// any other command; the caller has checked the capability.
    func plainStandardReply(_ header: Header, info: String) -> NodeMessage? {
        switch header.command {
        case StandardCommand.info: return NodeReply.text(info)
        case StandardCommand.age, StandardCommand.touch: return NodeReply.status(.ok)
        case StandardCommand.restrict: return (restrictReply(header), [])
        default: return nil
        }
    }
}
