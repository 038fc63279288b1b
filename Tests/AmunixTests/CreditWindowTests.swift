// The credit window a Linux host grants its neighbours
// (DaemonConfiguration.creditGrant) holds several transactions' worth of
// frames: a client with four 30000-byte requests in flight (rpc_bench load
// --threads 4, put and get with their default four) must not stall for
// credit between them, which at a window of 32 frames it did.

import AmoebaCore
import AmunixDaemon
import FLIP
import Testing

@Test func theGrantedWindowHoldsFourLargeRequests() {
    let flip = DaemonConfiguration(links: [], socketPath: "", stateDirectory: "", hostName: "t").flip
    let window = Int(flip.initialCredit) + Int(flip.creditGrant)
    // A request's body and its header, in fragments of one frame each.
    let framesPerRequest = (30_000 + Header.size + flip.maxFragmentData - 1) / flip.maxFragmentData
    #expect(window >= 4 * framesPerRequest)
    // A sender keeping its credit in a signed byte never sees it wrap.
    #expect(window <= 127)
}
