// The `cap` binary: hand the arguments to `CapTool`, write what it produced,
// and exit with its status. All behaviour lives in the files beside this one.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `text` to a file descriptor, retrying short writes.
func writeAll(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

let outcome = CapTool.execute(Array(CommandLine.arguments.dropFirst()))
writeAll(outcome.standardOutput, to: 1)
writeAll(outcome.standardError, to: 2)
exit(outcome.status)
