// `ticker N`: prints 1 to N (default 100), one line every 20 ms, while a
// second thread waits in getreq on a port nobody calls, and prints
// "ticked N times" at the end. Its threads are nearly always blocked
// (a sleep, a getreq) rather than in a transaction or computing: the
// case in which a stun rolls their calls back to be made again, which
// `migrate` is tested on (scripts/ax-test.sh).
import AmoebaCore

/// Counted up by each getreq that came back (none should: nobody calls).
var spuriousRequests: UInt32 = 0

@_cdecl("ticker_wait")
func waitForever(_ argument: UInt32) {
    let getPort = Port(bytes: [0x54, 0x49, 0x43, 0x4B, UInt8(truncatingIfNeeded: argument), 0x21])!
    while true {
        _ = Amoeba.getRequest(getPort, capacity: 16)
        spuriousRequests &+= 1
    }
}

func programMain(_ argument: UInt32) -> Int32 {
    let limit = argument == 0 ? 100 : argument
    _ = Amoeba.startThread(waitForever, argument: limit)
    for i in 1...limit {
        print("\(i)")
        Amoeba.sleep(microseconds: 20_000)
    }
    print("ticked \(limit) times" + (spuriousRequests == 0 ? "" : ", \(spuriousRequests) getreqs came back"))
    return 0
}
