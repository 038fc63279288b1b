// Who this node is on the network, across reboots.
//
// A kernel node's host capability (its kernel directory, entered under
// /hosts/NAME) must stay valid when the node reboots, or every capability
// a user holds for it dies with the power. Amoeba's mkhost makes it from
// what the machine is configured with (a get-port and a check field kept
// in NVRAM), never from randomness at boot. Here the configuration is the
// fw_cfg file `opt/amoeba/hostsecret` (QEMU `-fw_cfg name=...,file=...`,
// which the run script passes: a secret on the QEMU command line would be
// readable by every local user through ps), holding `GETPORT:CHECK`, 12
// hex digits each; the command-line word `hostsecret=GETPORT:CHECK` is
// still read when there is no such file, for tests. The capability is then
// port F(get-port), object 1, all rights, check field CHECK: the run
// script computes the same one for `host.cap`. Without either (the test
// scenarios) the directory gets fresh random ports.
import AmoebaCore
import KernelCore
import NodeServers

enum HostIdentity {
    static let firmwareFile = "opt/amoeba/hostsecret"

    /// The configured identity, or nil when none is configured (or a
    /// malformed one, which is reported and otherwise ignored).
    static func configured(_ line: BootCommandLine) -> ServiceIdentity? {
        if let bytes = FirmwareConfig.file(named: firmwareFile) {
            var text = ""
            for b in bytes where b > 0x20 && b < 0x7F { text.append(Character(Unicode.Scalar(b))) }
            print("[kernel] host secret from fw_cfg \(firmwareFile)")
            return parse(text, from: "fw_cfg \(firmwareFile)")
        }
        guard let text = line.value(of: "hostsecret") else { return nil }
        return parse(text, from: "hostsecret=")
    }

    private static func parse(_ text: String, from source: String) -> ServiceIdentity? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let get = Hex.decode(String(parts[0])), let check = Hex.decode(String(parts[1])),
              let getPort = Port(bytes: get), let random = Port(bytes: check),
              !getPort.isNull, !random.isNull
        else {
            print("[kernel] \(source) must be GETPORT:CHECK, 12 hex digits each: ignored")
            return nil
        }
        return ServiceIdentity(getPort: getPort, random: random, object: .node)   // object 1, as mkhost makes it
    }
}
