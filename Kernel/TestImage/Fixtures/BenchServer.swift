// `bench`: the load generator's partner on a kernel node, answering the
// same three commands as `rpc_bench serve` on Linux (echo 0, stats 1,
// sink 2), so the multi-host tests and benchmarks drive a kernel node and
// an amunixd host with one client. It counts executions per (client tag,
// sequence) exactly as rpc_bench does, which is how a test sees that a
// request retried through a lossy network ran once and only once.
// Started only when the command line says `bench`; it is a test fixture,
// not a service a node offers.
import AmoebaCore
import KernelCore
import NodeServers

enum BenchServer {
    static let echo: UInt16 = 0
    static let stats: UInt16 = 1
    static let sink: UInt16 = 2

    private static var seen = SeenSequences()
    private static var executions = 0
    private static var duplicates = 0

    static func handle(_ request: Message) -> Message {
        let h = request.header
        if h.command == StandardCommand.info { return .text("bench server (rpc_bench echo)") }
        if h.command == stats {
            return .text("executions \(executions) duplicates \(duplicates)")
        }
        // The client's tag is in the signature, its sequence in offset+extra.
        var tag = UInt64(0)
        for i in 0..<Port.size { tag = tag << 8 | UInt64(h.signature[i]) }
        let sequence = UInt64(UInt32(bitPattern: h.offset)) << 16 | UInt64(h.extra)
        executions += 1
        if !seen.insert(client: tag, sequence: sequence) { duplicates += 1 }
        var reply = Message.status(.ok)
        reply.header.offset = h.offset
        reply.header.extra = h.extra
        if h.command != sink {
            reply.body = request.body
            reply.header.size = UInt16(truncatingIfNeeded: request.body.count)
        }
        return reply
    }

    /// Starts serving on two fresh ports, entered in the kernel directory:
    /// `bench`, whose requests from the network the network thread answers
    /// itself as it does the node servers' (the handler never blocks), and
    /// `bench-threads`, whose every request goes to one of its four server
    /// threads, as a server that blocks is served (the multi-host tests
    /// flood it to check the slots and the threads' direct replies).
    static func start(in directory: NodeDirectory) {
        let atOnce = KernelServers.identity(), threads = KernelServers.identity()
        try? directory.add("bench", atOnce.capability)
        try? directory.add("bench-threads", threads.capability)
        for i in 0..<4 {
            LocalIPC.serve("bench\(i)", getPort: atOnce.getPort, answersAtOnce: true) { handle($0) }
            LocalIPC.serve("bthr\(i)", getPort: threads.getPort) { handle($0) }
        }
    }
}
