// The kernel-only server: the tty, as a pure request handler. (sys, tod,
// random and the kernel directory are NodeServers', tested there.)
import Testing
import AmoebaCore
@testable import KernelCore

private func identity(_ seed: UInt8) -> ServiceIdentity {
    ServiceIdentity(getPort: Port(bytes: [seed, 2, 3, 4, 5, 6])!, random: Port(bytes: [9, seed, 7, 6, 5, 4])!)
}

private func request(_ cap: Capability, _ command: UInt16, size: UInt16 = 0, body: [UInt8] = []) -> Message {
    var h = Header(capability: cap, command: command)
    h.size = size
    return Message(header: h, body: body)
}

private func text(_ m: Message) -> String { String(decoding: m.body, as: UTF8.self) }

@Test func ttyInfoStartsWithPlusAndWrites() {
    var out: [UInt8] = []
    let tty = TTYServer(identity: identity(6), name: "tty:00") { out += $0 }
    #expect(text(tty.handle(request(tty.identity.capability, StandardCommand.info))).hasPrefix("+"))
    let w = tty.handle(request(tty.identity.capability, TTYCommand.write, size: 5, body: Array("hello world".utf8)))
    #expect(w.header.status == .ok && w.header.size == 5)
    #expect(out == Array("hello".utf8))
}

@Test func aNodeServersAnswerBecomesALocalMessage() {
    var h = Header.status(.ok)
    h.size = 3
    let m = Message((header: h, data: [1, 2, 3]))
    #expect(m.header == h && m.body == [1, 2, 3])
}

@Test func ttyInputRingKeepsWhatFitsAndCountsTheRest() {
    var ring = TTYInputRing(capacity: 4)
    for b in UInt8(1)...6 { ring.push(b) }
    #expect(ring.count == 4 && ring.overflowed == 2 && ring.received == 4)
    #expect(ring.take(upTo: 3) == [1, 2, 3])
    ring.push(7)
    #expect(ring.take(upTo: 10) == [4, 7] && ring.isEmpty)
    #expect(ring.take(upTo: -1) == [])
}

@Test func ttyReadsWaitBlockOrAnswerAsAmoebasTTY() {
    let tty = TTYServer(identity: identity(7), name: "tty:00", inputCapacity: 2048) { _ in }
    let cap = tty.identity.capability
    func read(_ size: UInt16, extra: UInt16, cap: Capability) -> Message {
        var h = Header(capability: cap, command: TTYCommand.read)
        h.size = size
        h.extra = extra
        return Message(header: h)
    }
    // Nothing typed: non-blocking answers empty (h_extra as sent), blocking waits.
    guard case .reply(let empty) = tty.serve(read(10, extra: 5, cap: cap)) else { Issue.record("no reply"); return }
    #expect(empty.header.status == .ok && empty.header.size == 0 && empty.body.isEmpty && empty.header.extra == 5)
    guard case .wait = tty.serve(read(10, extra: 0, cap: cap)) else { Issue.record("did not wait"); return }
    // Without the READ right: STD_CAPBAD, as Amoeba's tty answers.
    let writeOnly = try! Restriction.restrict(cap, to: TTYRights.write)
    guard case .reply(let denied) = tty.serve(read(10, extra: 1, cap: writeOnly)) else { Issue.record("no reply"); return }
    #expect(denied.header.status == .capabilityBad)
    // Typed: a carriage return becomes a newline; at most h_size, at most 1024.
    for b in Array("ab\r".utf8) { tty.receive(b) }
    guard case .reply(let two) = tty.serve(read(2, extra: 0, cap: cap)) else { Issue.record("no reply"); return }
    #expect(two.body == Array("ab".utf8) && two.header.size == 2 && two.header.extra == ReadMore.noMoreData.rawValue)
    // Others waiting first: a blocking read queues, a non-blocking one gets nothing.
    guard case .wait = tty.serve(read(10, extra: 0, cap: cap), othersWaiting: true) else { Issue.record("jumped the queue"); return }
    #expect(tty.answer(read(10, extra: 0, cap: cap))?.body == [10])
    for _ in 0..<1500 { tty.receive(0x78) }
    #expect(tty.answer(read(30000, extra: 0, cap: cap))?.body.count == 1024)
    #expect(tty.answer(read(30000, extra: 0, cap: cap))?.body.count == 476)
    #expect(tty.answer(read(30000, extra: 0, cap: cap)) == nil)
}
