// dir's layout: columns as wide as their widest cell, so long names, big
// files and mask headers stay aligned; sizes in bytes or human-readable;
// a row whose server is down says why in words.

import AmoebaCore
import ShellSupport
import Testing

@Suite struct ListingTableTests {
    @Test func bareNamesStayBare() {
        #expect(ListingTable().render([ListingRow(name: "a"), ListingRow(name: "b")]) == ["a", "b"])
    }

    @Test func longNamesAndLargeSizesStayAligned() {
        let rows = [
            ListingRow(name: "a-rather-long-file-name-for-a-listing", info: .success("-      512 bytes")),
            ListingRow(name: "big", info: .success("- 734003200 bytes")),
            ListingRow(name: "src", info: .success("/dw1234")),
        ]
        let lines = ListingTable().render(rows)
        #expect(lines == [
            "a-rather-long-file-name-for-a-listing  -        512 bytes",
            "big                                    -  734003200 bytes",
            "src                                    /dw1234",
        ])
    }

    @Test func humanSizes() {
        #expect(ListingTable.humanSize(0) == "0")
        #expect(ListingTable.humanSize(1023) == "1023")
        #expect(ListingTable.humanSize(1536) == "1.5K")
        #expect(ListingTable.humanSize(734_003_200) == "700M")
        #expect(ListingTable.humanSize(5 * 1024 * 1024 * 1024) == "5.0G")
        let lines = ListingTable(human: true).render([
            ListingRow(name: "big", info: .success("- 734003200 bytes")),
            ListingRow(name: "small", info: .success("-       15 bytes")),
        ])
        #expect(lines == ["big    -  700M", "small  -    15"])
    }

    @Test func maskColumnsTakeTheirHeadersWidth() {
        let lines = ListingTable(columns: ["owner", "group", "other"]).render([
            ListingRow(name: "home", masks: [0xFF, 0x6, 0x4]),
            ListingRow(name: "a-long-directory-name", masks: [0xFF, 0x2, 0x2]),
        ])
        #expect(lines == [
            "                       owner  group  other",
            "home                   ff     6      4",
            "a-long-directory-name  ff     2      2",
        ])
    }

    @Test func aDeadServerIsSaidInWords() {
        let lines = ListingTable().render([ListingRow(name: "bullet", info: .failure(.rpcFailure))])
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("bullet  ? no answer from the server"))
        #expect(lines[0].hasSuffix("(RPC_FAILURE)"))
    }
}

extension ListingTableTests {
    @Test func capabilitiesAfterDescriptionsLineUp() {
        let lines = ListingTable().render([
            ListingRow(name: "f", info: .success("-       15 bytes"), capability: "C1"),
            ListingRow(name: "src", info: .success("/dw1234"), capability: "C2"),
        ])
        #expect(lines == ["f    -  15 bytes  C1", "src  /dw1234      C2"])
    }
}
