// The slow-call notice wraps every transaction a tool makes, so deciding
// whether it is wanted must cost nothing per call: `put` and `get` make one
// call per 30 KB, and reading the environment for each one was about half
// of their CPU time.
import Foundation
import Testing
@testable import AmoebaNames

@Test func theNoticeIsWantedOnATerminalOrWhenAsked() {
    #expect(SlowCallNotice.wanted(stderrIsTerminal: true, environment: [:]))
    #expect(SlowCallNotice.wanted(stderrIsTerminal: false, environment: ["AMOEBA_NOTICE": "1"]))
    #expect(!SlowCallNotice.wanted(stderrIsTerminal: false, environment: ["AMOEBA_NOTICE": "0"]))
    #expect(!SlowCallNotice.wanted(stderrIsTerminal: false, environment: [:]))
}

@Test func watchingACallCostsNoEnvironmentRead() {
    // A large environment, as a login shell's can be, makes a per-call
    // read of it plain to see; once decided, 20,000 calls take well under
    // a millisecond each way, whatever the machine's load.
    for i in 0..<200 { setenv("SLOW_CALL_NOTICE_TEST_\(i)", String(repeating: "x", count: 100), 1) }
    defer { for i in 0..<200 { unsetenv("SLOW_CALL_NOTICE_TEST_\(i)") } }
    _ = SlowCallNotice.watch(timeout: nil) { 0 }
    let clock = ContinuousClock()
    var sum = 0
    let took = clock.measure {
        for i in 0..<20_000 { sum += SlowCallNotice.watch(timeout: nil) { i } }
    }
    #expect(sum == 20_000 * 19_999 / 2)
    #expect(took < .milliseconds(200), "20,000 watched calls took \(took)")
}
