// A port interpolated into a log line reads as the hex the tools print
// (the servers log "serving ... on PORT"), never as Port(packed: N).
import Testing
import AmoebaCore

@Suite struct PortTextTests {
    @Test func interpolationIsHex() {
        let p = Port(bytes: [0x0d, 0x6e, 0x00, 0xb1, 0x2a, 0xfe])!
        #expect("on \(p)" == "on 0d6e00b12afe")
        #expect(String(describing: p) == p.hex)
    }
}
