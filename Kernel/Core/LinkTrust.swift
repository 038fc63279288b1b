// Whether the node's network is a trusted FLIP network: the command-line
// word `trusted=yes|no`.
//
// A trusted network's frames are believed about their source and may carry
// packets that ask for security; whatever crosses an untrusted one is
// marked UNSAFE, so an Amoeba node routes nothing secure over it. A tap is
// raw Ethernet, which Amoeba trusts; a udp or mcast link is a socket any
// program on the host can write to (QEMU's have no key). The kernel cannot see which QEMU gave
// it, so the run script says (kernel-run.sh: yes for tap:, no otherwise),
// as amunixd's `--link ...,trusted=` does for its links. Without the word,
// or with a value it does not know, the node is untrusted: a network
// wrongly called untrusted only loses secure routes, one wrongly trusted
// lets forged sources in.

public enum LinkTrust {
    /// What the command line says: whether to trust the network, and a
    /// line for the console when the word was there but unreadable.
    public static func configured(_ line: BootCommandLine) -> (trusted: Bool, complaint: String?) {
        guard let value = line.value(of: "trusted") else {
            if line.has("trusted") { return (false, "trusted needs a value, yes or no: the network is untrusted") }
            return (false, nil)
        }
        switch value {
        case "yes": return (true, nil)
        case "no": return (false, nil)
        default: return (false, "trusted=\(value) is neither yes nor no: the network is untrusted")
        }
    }
}
