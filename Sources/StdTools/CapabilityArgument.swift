// How the std tools name an object on the command line.
//
// A user may paste a capability in its text form, point at a file holding
// one (text, or the 16 raw bytes Amoeba programs write), or give a name
// such as `sys` that the local host's daemon published in its state folder.
// Paths through directories come with the directory server; until then
// these three cover what a host publishes. Every refusal says what was
// tried, so a typo is not mistaken for a network failure.

import AmoebaCore
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
    public static func resolve(_ argument: String, stateDirectory: String = stateDirectory) throws(ToolError) -> Capability {
        if argument.contains("/"), argument.contains("("), let cap = try? Capability(text: argument) {
            return cap
        }
        if FileManager.default.fileExists(atPath: argument) {
            return try read(file: argument)
        }
        let named = "\(stateDirectory)/\(argument).cap"
        if !argument.contains("/"), FileManager.default.fileExists(atPath: named) {
            return try read(file: named)
        }
        throw .usage("not a capability (PORT/OBJECT(RIGHTS)/CHECK), a capability file, or a name in \(stateDirectory)")
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
