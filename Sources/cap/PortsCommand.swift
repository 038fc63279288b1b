// `cap ports`: a fresh port pair for a new service.
//
// A server keeps the get-port secret and publishes the put-port F(get-port).
// The get-port comes from the system's cryptographic generator: a guessable
// get-port would let anyone answer the service's requests.

import AmoebaCore
import ArgumentParser

struct PortsCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "ports",
        abstract: "Make a random get-port and print it with its put-port.",
        discussion: """
            Prints two lines, 'get-port HEX' and 'put-port HEX'. Keep the \
            get-port secret; give clients the put-port.
            """)

    func output() throws(CapFailure) -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.lines(for: Port.random(using: &generator))
    }

    /// The two labelled lines for `getPort`.
    static func lines(for getPort: Port) -> String {
        "get-port \(getPort.hex)\nput-port \(getPort.putPort.hex)"
    }
}
