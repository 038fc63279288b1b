// The working directory of a Linux program in the name space, as an Amoeba
// process has one: relative paths are read from it, and without one they
// are read from the root (Amoeba's WORK falls back to ROOT).
//
// Amoeba keeps WORK as a capability and the absolute path in the string
// variable _WORK (cwd_set.c). A Linux shell can carry only strings, so the
// path is the working directory here: AMOEBA_WORK (named like AMOEBA_ROOT),
// else _WORK, is looked up from the root each time. `export
// AMOEBA_WORK=/home/ann` is this system's `cd`.

import AmoebaClient
import AmoebaCore
import Foundation

public enum WorkingDirectory {
    public static let environmentVariables = ["AMOEBA_WORK", "_WORK"]

    public struct Bad: Error, CustomStringConvertible {
        public let description: String
    }

    /// The working directory the environment names, the root when none.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Bad) -> AmoebaPath {
        for name in environmentVariables {
            guard let v = environment[name], !v.isEmpty else { continue }
            guard v.hasPrefix("/") else { throw Bad(description: "\(name)=\(v) is not an absolute path (it starts at the root: /home/...)") }
            do {
                return try AmoebaPath(v)
            } catch {
                throw Bad(description: "\(name)=\(v) is not a path of row names")
            }
        }
        return AmoebaPath(components: [])
    }
}
