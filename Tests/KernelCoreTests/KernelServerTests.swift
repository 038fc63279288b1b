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
