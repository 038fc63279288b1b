// How the std tools name an object on the command line.
//
// A user may paste a capability in its text form, point at a file holding
// one (text, or the 16 raw bytes Amoeba programs write), or give a name
// such as `sys` that the local host's daemon published in its state folder,
// or a path in the name space (`/hosts/b/sys`), looked up from the root
// capability (see AmoebaNames.RootCapability) when the argument is none of
// the others: a Linux file is used only if it is a regular file, so that
// `/home` means the name space's directory. Every refusal says what was
// tried, so a typo is not mistaken for a network failure.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Amunix
import Foundation

public enum CapabilityArgument {
    /// The folder where the local daemon writes its capabilities:
    /// AMUNIX_STATE_DIR, else the folder of the daemon's socket.
    public static var stateDirectory: String {
        if let d = ProcessInfo.processInfo.environment["AMUNIX_STATE_DIR"], !d.isEmpty { return d }
        return (AmunixConnection.socketPathFromEnvironment as NSString).deletingLastPathComponent
    }

    /// The capability `argument` names.
    /// The capability `argument` names; `connection` (if given) is used to
    /// look paths up in the name space.
    public static func resolve(_ argument: String, stateDirectory: String = stateDirectory,
                               connection: AmunixConnection? = nil, timeout: Duration? = nil) throws(ToolError) -> Capability {
        if argument.contains("/"), argument.contains("("), let cap = try? Capability(text: argument) {
            return cap
        }
        // A Linux file that holds no capability may still be meant as a
        // path of the name space (`std_info README` in a folder with a
        // README): it is only an error when the path does not work either.
        var isDirectory: ObjCBool = false
        var fileWithoutCapability = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            if let cap = RootCapability.read(file: argument) { return cap }
            fileWithoutCapability = true
        }
        let named = "\(stateDirectory)/\(argument).cap"
        if !argument.contains("/"), FileManager.default.fileExists(atPath: named) {
            return try read(file: named)
        }
        if let connection, let root = try? RootCapability.find(),
           let path = try? AmoebaPath(argument, from: (try? WorkingDirectory.find()) ?? AmoebaPath(components: [])) {
            let names = DirectoryClient(transport: AmunixTransactor(connection: connection, timeout: timeout), root: root)
            do throws(ErrorCode) {
                return try names.lookup(path)
            } catch {
                if fileWithoutCapability, error == .notFound {
                    throw .explained(error, what: "a Linux file holding no capability, and no such path in the name space", hint: nil)
                }
                throw .amoeba(error)
            }
        }
        if fileWithoutCapability { throw .usage("a Linux file holding no capability") }
        throw .usage("not a capability (PORT/OBJECT(RIGHTS)/CHECK), a capability file, a name in \(stateDirectory), or a path in the name space")
    }

    /// A capability file: text form, or 16 raw bytes.
    public static func read(file path: String) throws(ToolError) -> Capability {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("\(path): cannot read")
        }
        let bytes = [UInt8](data)
        if bytes.count == Capability.size, let cap = Capability(bytes: bytes) { return cap }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try Capability(text: text)
        } catch {
            throw .usage("\(path): holds no capability (\(error))")
        }
    }
}
