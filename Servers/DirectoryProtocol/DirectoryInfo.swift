// The std_info answer of a SOAP directory, which tools read: the type
// character ("/" for a directory server's directory, "%" for a node's own
// directory), then what the capability may do: d (destroy), w (modify),
// and one digit per column bit 1 to 4, "-" where a right is missing. Amoeba
// builds it the same way in both places (sp_doinfo, with KERNEL deciding
// the first character), so it lives here once for both of ours.

import AmoebaCore

public enum DirectoryInfo {
    /// The answer for the server's own object 0, whatever its check field.
    public static let genericCapability = "soap generic capability"

    /// "/dw1234"-style text for a capability holding `rights`.
    public static func text(type: ObjectType, rights: Rights) -> String {
        let r = rights.rawValue
        var s = String(Character(Unicode.Scalar(type.rawValue)))
        s += r & DirectoryRights.delete != 0 ? "d" : "-"
        s += r & DirectoryRights.modify != 0 ? "w" : "-"
        s += r & 0x1 != 0 ? "1" : "-"
        s += r & 0x2 != 0 ? "2" : "-"
        s += r & 0x4 != 0 ? "3" : "-"
        s += r & 0x8 != 0 ? "4" : "-"
        return s
    }
}
