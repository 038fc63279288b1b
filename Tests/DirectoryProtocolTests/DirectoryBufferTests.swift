// LIST and LOOKUP buffers against fixed bytes (SOAP's layout, little-endian,
// strings with their NUL), and encoders and decoders against each other.

import AmoebaCore
import DirectoryProtocol
import Testing

@Suite struct DirectoryBufferTests {
    let rows: [(name: String, masks: [UInt32])] = [("sys", [0xFF, 0, 0]), ("tod", [0xFF, 0x02, 0x0104])]

    @Test func listPageBytes() throws {
        let page = try #require(DirectoryReply.listPage(columns: ["owner", "other"], rows: rows, first: 0, limit: 1000))
        var expected: [UInt8] = [2, 0, 2, 0] + Array("owner\0other\0".utf8)
        expected += Array("sys\0".utf8) + [0xFF, 0, 0, 0, 0, 0, 0, 0]
        expected += Array("tod\0".utf8) + [0xFF, 0, 0, 0, 0x02, 0, 0, 0]
        // Only as many masks as columns go out.
        #expect(page.data == expected)
        #expect(page.next == DirectoryLimits.noMoreRows)
        let back = try DirectoryReply.list(page.data)
        #expect(back.columns == ["owner", "other"] && back.totalRows == 2)
        #expect(back.rows.map(\.name) == ["sys", "tod"] && back.rows.map(\.masks) == [[0xFF, 0], [0xFF, 2]])
    }

    @Test func listPagesWholeRowsOnly() throws {
        let columns = ["owner", "group", "other"]
        let three = rows.map { ($0.name, [$0.masks[0], $0.masks[1], $0.masks[2]]) }
        // Heading 22 bytes, each row 16: 38 holds one row, 53 still one.
        for (limit, next) in [(38, UInt16(1)), (53, 1), (54, DirectoryLimits.noMoreRows), (22, 0)] {
            let page = try #require(DirectoryReply.listPage(columns: columns, rows: three, first: 0, limit: limit))
            #expect(page.next == next)
            #expect(page.data.count <= limit)
        }
        #expect(DirectoryReply.listPage(columns: columns, rows: three, first: 0, limit: 21) == nil)
        let second = try #require(DirectoryReply.listPage(columns: columns, rows: three, first: 1, limit: 1000))
        #expect(try DirectoryReply.list(second.data).rows.map(\.name) == ["tod"])
        // A first row past the end, or before the start, is no trap.
        #expect(try DirectoryReply.list(#require(DirectoryReply.listPage(columns: columns, rows: three, first: 9,
                                                                          limit: 1000)).data).rows.isEmpty)
        #expect(DirectoryReply.listPage(columns: columns, rows: three, first: -5, limit: 1000)?.next
                == DirectoryLimits.noMoreRows)
    }

    @Test func lookupBytes() throws {
        let cap = foreignCap(0x030201)
        let bytes = DirectoryReply.lookup(rest: "a/b", capabilities: CapabilitySet(cap))
        #expect(bytes == Array("a/b\0".utf8) + [1, 0, 1, 0] + cap.bytes + [1, 0])
        let back = try DirectoryReply.lookup(bytes)
        #expect(back.rest == "a/b" && back.capabilities == CapabilitySet(cap))
        #expect(DirectoryRequest.name("sys/x") == Array("sys/x\0".utf8))
        #expect(try Array(DirectoryRequest.lookupPath(DirectoryRequest.name("sys/x"))) == Array("sys/x".utf8))
    }

    @Test func lookupPathRules() throws {
        // The path ends at the first NUL; what follows is not the path.
        #expect(try Array(DirectoryRequest.lookupPath([0x61, 0, 0x62])) == [0x61])
        #expect(try DirectoryRequest.lookupPath([0]).isEmpty)
        #expect(throws: MarshalError.unterminatedString) { try DirectoryRequest.lookupPath([0x61, 0x62]) }
        #expect(throws: MarshalError.unterminatedString) { try DirectoryRequest.lookupPath([]) }
        let longest = [UInt8](repeating: 0x61, count: DirectoryLimits.maxPath) + [0]
        #expect(try DirectoryRequest.lookupPath(longest).count == 255)
        #expect(throws: MarshalError.invalidValue) { try DirectoryRequest.lookupPath([0x61] + longest) }
    }

    @Test func masksAndTouchLists() throws {
        #expect(DirectoryReply.masks(encoding: [0xFF, 0x0102]) == [0xFF, 0, 0, 0, 2, 1, 0, 0])
        #expect(try DirectoryReply.masks(DirectoryReply.masks(encoding: [7, 8, 9])) == [7, 8, 9])
        var w = BufferWriter()
        for n: UInt32 in [1, 2] { try w.write(foreignCap(n).private) }
        #expect(try DirectoryRequest.touchList(w.bytes, count: 2) == [foreignCap(1).private, foreignCap(2).private])
        #expect(throws: MarshalError.invalidValue) { try DirectoryRequest.touchList(w.bytes, count: 1) }
        #expect(throws: MarshalError.invalidValue) { try DirectoryRequest.touchList(w.bytes, count: -2) }
        #expect(try DirectoryRequest.touchList([], count: 0).isEmpty)
    }

    @Test func infoText() {
        #expect(DirectoryInfo.text(type: .kernelDirectory, rights: .all) == "%dw1234")
        #expect(DirectoryInfo.text(type: .directory, rights: Rights(rawValue: 0x42)) == "/-w-2--")
        #expect(DirectoryInfo.text(type: .directory, rights: .none) == "/------")
    }
}
