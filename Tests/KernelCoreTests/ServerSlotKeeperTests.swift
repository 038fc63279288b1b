// The server slots a kernel node keeps open for its ports, against a real
// node body whose RPC table is made small enough to fill: a slot the node
// refuses while the table is full is owed and opens once there is room,
// so no port stays a slot short for good (issue 9).
import AmoebaCore
import Node
import RPC
import Testing
import TestSupport
@testable import KernelCore

private final class Listener {
    let getPort: Port
    var retired = false
    init(_ seed: UInt8) { getPort = Port(bytes: [seed, 0x51, 0x07, seed, 0x22, 0x9c])! }
}

/// A node body whose table holds `states` client transactions and server
/// slots together, and the network thread's getreq for a listener.
private func smallNode(states: Int) -> Node<Listener> {
    var config = NodeConfiguration()
    config.rpc.maxStates = states
    var random = SeededRandom(91)
    return Node<Listener>(configuration: config, using: &random)
}

private func opener(_ node: Node<Listener>) -> (Listener) -> Bool {
    { l in l.retired || node.getreq(port: l.getPort, owner: l) != nil }
}

private func waiting(_ node: Node<Listener>, for l: Listener) -> Int {
    let mine = node.cancelGetreqs { $0 === l }
    for _ in mine { _ = node.getreq(port: l.getPort, owner: l) }
    return mine.count
}

@Test func slotsRefusedOnAFullTableOpenOnceItFrees() {
    let node = smallNode(states: 10)
    var keeper = ServerSlotKeeper<Listener>()
    let a = Listener(1), b = Listener(2), other = Listener(3)
    keeper.open(8, for: a, with: opener(node))
    #expect(keeper.owed.isEmpty)
    // Something else takes the last two states: b gets none of its eight.
    #expect(node.getreq(port: other.getPort, owner: other) != nil)
    #expect(node.getreq(port: other.getPort, owner: other) != nil)
    keeper.open(8, for: b, with: opener(node))
    #expect(keeper.owedCount(to: b) == 8)
    #expect(keeper.refusals == 1)
    #expect(keeper.retryDeadline(now: Instant(microseconds: 5)) == Instant(microseconds: 5 + 100_000))
    // Retrying on a full table opens nothing and keeps everything owed.
    keeper.retry(with: opener(node))
    #expect(keeper.owedCount(to: b) == 8)
    // The other two free: two of b's open, six still owed.
    #expect(node.cancelGetreqs { $0 === other }.count == 2)
    keeper.retry(with: opener(node))
    #expect(keeper.owedCount(to: b) == 6)
    #expect(waiting(node, for: b) == 2)
    // a's port closes: b gets the rest and nothing is owed.
    #expect(node.cancelGetreqs { $0 === a }.count == 8)
    keeper.forget(a)
    keeper.retry(with: opener(node))
    #expect(keeper.owed.isEmpty)
    #expect(waiting(node, for: b) == 8)
    #expect(keeper.retryDeadline(now: Instant(microseconds: 5)) == nil)
}

@Test func aSlotReopenedAfterAReplyIsOwedWhenRefused() {
    // The network thread re-opens a port's slot when the reply to the
    // request it took goes out; if the node's table filled meanwhile (a
    // burst of outgoing transactions), that slot must come back later.
    let node = smallNode(states: 8)
    var keeper = ServerSlotKeeper<Listener>()
    let a = Listener(4), burst = Listener(5)
    keeper.open(4, for: a, with: opener(node))
    #expect(node.cancelGetreqs { $0 === a }.count == 4)   // four requests taken in
    for _ in 0..<8 { #expect(node.getreq(port: burst.getPort, owner: burst) != nil) }
    for _ in 0..<4 { keeper.open(1, for: a, with: opener(node)) }   // four replies sent
    #expect(keeper.owedCount(to: a) == 4)
    _ = node.cancelGetreqs { $0 === burst }
    keeper.retry(with: opener(node))
    #expect(keeper.owed.isEmpty)
    #expect(waiting(node, for: a) == 4)
}

@Test func owedSlotsOpenOldestFirstAndARetiredPortIsOwedNothing() {
    var keeper = ServerSlotKeeper<Listener>()
    let a = Listener(6), b = Listener(7), c = Listener(8)
    var room = 0
    var opened: [UInt8] = []
    let open: (Listener) -> Bool = { l in
        if l.retired { return true }
        guard room > 0 else { return false }
        room -= 1
        opened.append(l.getPort.bytes[0])
        return true
    }
    keeper.open(2, for: a, with: open)
    keeper.open(2, for: b, with: open)
    keeper.open(1, for: c, with: open)
    #expect(keeper.owed.count == 5)
    // A port opening later queues behind those owed before it.
    room = 3
    keeper.retry(with: open)
    #expect(opened == [6, 6, 7])
    // b stops being served: what it is owed is dropped on the retry.
    b.retired = true
    room = 5
    keeper.retry(with: open)
    #expect(opened == [6, 6, 7, 8])
    #expect(keeper.owed.isEmpty)
    // forget drops a port's owed slots at once.
    room = 0
    keeper.open(3, for: c, with: open)
    keeper.forget(c)
    #expect(keeper.owed.isEmpty)
    keeper.open(0, for: a, with: open)
    #expect(keeper.owed.isEmpty)
}
