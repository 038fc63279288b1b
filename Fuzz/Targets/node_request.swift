// fuzz-modules: AmoebaCore Servers/DirectoryProtocol NodeServers
//
// A node's own servers (sys, tod, random and the node directory) answer
// anyone on the network. The input is a 32-byte Amoeba header and a
// request buffer, sent to one of the four; most of the time its capability
// is replaced by that server's own, possibly restricted (so the fuzzer
// gets past the capability check). No input may trap, no reply may exceed
// what RPC carries (the directory's: its buffer), and nothing a request
// says may change the directory.

struct Machine: NodeHost {
    var state: UInt64 = 42
    func wallClock() -> WallClock { WallClock(seconds: 1_700_000_000, milliseconds: 5) }
    mutating func fillRandom(_ bytes: inout [UInt8]) {
        for i in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
    }
    func statisticsReports() -> [StatisticsReport] {
        [StatisticsReport(letter: "m", help: "memory"), StatisticsReport(letter: "b", help: "boot", required: .all)]
    }
    func statistics(_ letter: UInt8) -> String { "report" }
    func statusText() -> String { "up" }
    func printBuffer() -> [UInt8]? { Array("console".utf8) }
}

func identity(_ a: UInt8, object: ObjectNumber = .server) -> ServiceIdentity {
    ServiceIdentity(getPort: Port(bytes: [a, 1, 2, 3, 4, 5])!, random: Port(bytes: [a, 9, 8, 7, 6, 5])!, object: object)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var header = try? Header.decode(bytes) else { return 0 }
    let node = NodeServerSet(directory: identity(1, object: .node), system: identity(2, object: .node),
                             time: identity(3), random: identity(4))
    let kinds = NodeServerKind.allCases
    let kind = kinds[Int(header.signature[0] >> 4) % kinds.count]
    if header.signature[0] & 1 == 0 {
        let own = node.identity(kind).capability
        header.port = own.port
        header.private = own.private
        if header.signature[0] & 2 != 0, let r = try? Restriction.restrict(own, to: Rights(rawValue: header.signature[1])) {
            header.private = r.private
        }
    }
    let before = node.directory.entries.map(\.name)
    var machine = Machine()
    let (reply, out) = node.handle(kind, header, Array(bytes[Header.size...]), host: &machine)
    if out.count > 30000 { fatalError("a reply longer than MAX_TRANS") }
    if kind == .directory, out.count > node.directory.replyLimit { fatalError("a directory reply beyond its buffer") }
    if reply.status != .ok, !out.isEmpty { fatalError("data with an error") }
    if node.directory.entries.map(\.name) != before { fatalError("a request changed the directory") }
    return 0
}
