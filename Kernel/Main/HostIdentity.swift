// Who this node is on the network, across reboots.
//
// A kernel node's host capability (its kernel directory, entered under
// /hosts/NAME) must stay valid when the node reboots, or every capability
// a user holds for it dies with the power. Amoeba's mkhost makes it from
// what the machine is configured with (a get-port and a check field kept
// in NVRAM), never from randomness at boot. Here the configuration is the
// kernel command line: `hostsecret=GETPORT:CHECK`, 12 hex digits each. The
// capability is then port F(get-port), object 1, all rights, check field
// CHECK: the run script computes the same one for `host.cap`. Without the
// word (the test scenarios) the directory gets fresh random ports.
import AmoebaCore
import KernelCore
import NodeServers

enum HostIdentity {
    /// The configured identity, or nil when the command line has none (or
    /// a malformed one, which is reported and otherwise ignored).
    static func configured(_ line: BootCommandLine) -> ServiceIdentity? {
        guard let text = line.value(of: "hostsecret") else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let get = Hex.decode(String(parts[0])), let check = Hex.decode(String(parts[1])),
              let getPort = Port(bytes: get), let random = Port(bytes: check),
              !getPort.isNull, !random.isNull
        else {
            print("[kernel] hostsecret= must be GETPORT:CHECK, 12 hex digits each: ignored")
            return nil
        }
        return ServiceIdentity(getPort: getPort, random: random, object: .node)   // object 1, as mkhost makes it
    }
}
