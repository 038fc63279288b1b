// fuzz-modules: AmoebaCore FLIP RPC
// The at-most-once ledger under adversarial sequences: four real clients
// that acknowledge their replies and any number of forged ones (every kid,
// any tid, the real clients' kids from other addresses) that never do.
// Whatever the order, nothing a real client ran and acknowledged may look
// new again (within the quiet time), a real client is never refused, and
// the tables stay within their bounds.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let capacity = 2, summaries = 4
    var ledger = TransactionLedger(capacity: capacity, window: 64, summaries: summaries, quietTime: .seconds(60))
    func address(_ tag: UInt8, _ n: UInt8) -> FLIPAddress { FLIPAddress(bytes: [tag, n, 0, 0, 0, 0, 0, 0])! }
    let real = (0..<4).map { TransactionLedger.Client(address: address(0xA0, UInt8($0)), kid: address(0xB0, UInt8($0))) }
    var nextTid = [UInt32](repeating: 1, count: 4)
    var proven: [(client: Int, tid: UInt32, at: Instant)] = []
    var now = Instant(microseconds: 1_000_000)
    var i = 0
    func byte() -> UInt8 {
        defer { i += 1 }
        return i < bytes.count ? bytes[i] : 0
    }
    while i < bytes.count {
        let op = byte()
        switch op % 4 {
        case 0:
            // A forged request: any address, any kid (maybe a real one's), any tid.
            let a = byte(), k = byte()
            let tid = UInt32(byte()) << 24 | UInt32(byte())
            let kid = k & 0x80 != 0 ? real[Int(k) % 4].kid : address(0xC0, k)
            let forged = TransactionLedger.Client(address: address(0xD0, a), kid: kid)
            if ledger.verdict(forged, tid: tid) == .new, ledger.canAdmit(forged, now: now) {
                ledger.record(forged, tid: tid, now: now)
            }
        case 1, 2:
            // A real client runs its next transaction and acknowledges it.
            let c = Int(op >> 2) % 4
            let tid = nextTid[c]
            nextTid[c] += 1 + UInt32(byte() % 3)
            if ledger.verdict(real[c], tid: tid) != .new { fatalError("rpc_ledger: a real client's new tid refused") }
            if !ledger.canAdmit(real[c], now: now) { fatalError("rpc_ledger: a real client was refused") }
            ledger.record(real[c], tid: tid, now: now)
            ledger.prove(real[c], tid: tid, now: now)
            proven.append((c, tid, now))
        default:
            // Time passes, a little.
            now = now + .milliseconds(Int64(byte()))
        }
        if ledger.historyCount > capacity || ledger.summaryCount > summaries {
            fatalError("rpc_ledger: a table outgrew its bound")
        }
    }
    for p in proven where now - p.at < .seconds(60) && ledger.verdict(real[p.client], tid: p.tid) == .new {
        fatalError("rpc_ledger: an acknowledged transaction looks new")
    }
    return 0
}
