// `ls`: lists directories of the name space from a kernel node, as
// `ax ls /home` runs it. Each argument is a path, absolute from the ROOT
// capability or relative to WORK (none: WORK itself); the program walks it
// with SOAP's LOOKUP, reads the rows with LIST page by page, and prints
// the names, one a line, sorted (with a "PATH:" heading when there are
// several). Exit status 0; 1 when a path cannot be listed (the reason on
// STDERR) or the program has no ROOT capability.
import AmoebaCore
import DirectoryProtocol
import KernelCore

/// The directory `path` names, or the error that stopped the walk.
func resolve(_ path: String, root: Capability, work: Capability) -> Result<Capability, ErrorCode> {
    var at = path.hasPrefix("/") ? root : work
    var rest = String(path.drop { $0 == "/" })
    while !rest.isEmpty && rest != "." {
        let (h, data) = Amoeba.trans(Header(capability: at, command: DirectoryCommand.lookup),
                                     DirectoryRequest.name(rest), replyCapacity: 512)
        guard h.status == .ok else { return .failure(h.status) }
        guard let answer = try? DirectoryReply.lookup(data), let next = answer.capabilities.current.first else {
            return .failure(.notFound)
        }
        guard answer.rest != rest else { return .failure(.notFound) }   // no progress: a bad server
        at = next
        rest = String(answer.rest.drop { $0 == "/" })
    }
    return .success(at)
}

/// Every row name of `directory`, page by page.
func names(_ directory: Capability) -> Result<[String], ErrorCode> {
    var rows: [String] = []
    var first: UInt16 = 0
    while true {
        var h = Header(capability: directory, command: DirectoryCommand.list)
        h.extra = first
        h.size = UInt16(DirectoryLimits.clientBuffer)
        let (reply, data) = Amoeba.trans(h, replyCapacity: DirectoryLimits.clientBuffer)
        guard reply.status == .ok else { return .failure(reply.status) }
        guard let page = try? DirectoryReply.list(data) else { return .failure(.systemError) }
        for row in page.rows { rows.append(row.name) }
        if reply.extra == DirectoryLimits.noMoreRows { return .success(rows) }
        guard reply.extra > first else { return .failure(.overflow) }   // a server that does not move on
        first = reply.extra
    }
}

func programMain(_ argument: UInt32) -> Int32 {
    guard let root = Program.capability("ROOT") else {
        Console.error("ls: no ROOT capability (start it with ax)")
        return 1
    }
    let work = Program.capability("WORK") ?? root
    let paths = Program.arguments.count > 1 ? Array(Program.arguments.dropFirst()) : ["."]
    var status: Int32 = 0
    for (i, path) in paths.enumerated() {
        if paths.count > 1 { print("\(i > 0 ? "\n" : "")\(path):") }
        switch resolve(path, root: root, work: work).flatMap(names) {
        case let .success(rows):
            for name in rows.sorted() { print(name) }
        case let .failure(code):
            Console.error("ls: \(path): \(code.name)")
            status = 1
        }
    }
    return status
}
