// Where a Linux program finds the root of the name space, as an Amoeba
// process finds its ROOT capability in its environment.
//
//   1. AMOEBA_ROOT: a capability in text form, or the path of a file
//      holding one (text, or 16 raw bytes);
//   2. root.cap in the local daemon's state folder (AMUNIX_STATE_DIR, else
//      the folder of AMUNIX_SOCKET), where `amoeba-init --publish` puts it;
//   3. ~/.amoeba/root.cap.
//
// A missing or unreadable root is a clear message naming what was tried,
// never a silent default.

import AmoebaCore
import Amunix
import Foundation

public enum RootCapability {
    public static let environmentVariable = "AMOEBA_ROOT"
    public static let fileName = "root.cap"

    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// The local daemon's state folder.
    public static var stateDirectory: String { stateDirectory(ProcessInfo.processInfo.environment) }

    static func stateDirectory(_ env: [String: String]) -> String {
        if let d = env["AMUNIX_STATE_DIR"], !d.isEmpty { return d }
        let socket = env["AMUNIX_SOCKET"] ?? AmunixConnection.defaultSocketPath
        return (socket as NSString).deletingLastPathComponent
    }

    /// ~/.amoeba/root.cap
    public static var homeFile: String { homeFile(ProcessInfo.processInfo.environment) }

    static func homeFile(_ env: [String: String]) -> String {
        "\(env["HOME"] ?? NSHomeDirectory())/.amoeba/\(fileName)"
    }

    /// The files looked at when AMOEBA_ROOT is not set, in order.
    public static func candidates(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        ["\(stateDirectory(env))/\(fileName)", homeFile(env)]
    }

    /// The root capability, from the environment or the first file found.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) throws(NotFound) -> Capability {
        if let v = environment[environmentVariable], !v.isEmpty {
            if let cap = try? Capability(text: v.trimmingCharacters(in: .whitespacesAndNewlines)) { return cap }
            if let cap = read(file: v) { return cap }
            throw NotFound(description: "\(environmentVariable)=\(v) is neither a capability nor a file holding one")
        }
        let places = candidates(environment)
        for path in places where FileManager.default.fileExists(atPath: path) {
            if let cap = read(file: path) { return cap }
            throw NotFound(description: "\(path) holds no capability")
        }
        throw NotFound(description: "no root capability: set \(environmentVariable) or run amoeba-init (looked in \(places.joined(separator: ", ")))")
    }

    /// A capability file: text form, or 16 raw bytes.
    public static func read(file path: String) -> Capability? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        if bytes.count == Capability.size, let cap = Capability(bytes: bytes) { return cap }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try? Capability(text: text)
    }

    /// Writes `cap` in text form to `path` atomically (temp file + rename),
    /// creating the folder if needed.
    /// The file is 0600 and a folder it makes 0700: whoever reads it
    /// holds the whole name space.
    public static func write(_ cap: Capability, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) { try PrivateFiles.makeFolder(dir) }
        try PrivateFiles.write(cap.text + "\n", to: path)
    }
}
