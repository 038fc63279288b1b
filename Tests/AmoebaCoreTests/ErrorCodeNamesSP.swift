// The directory server's error codes have their Amoeba names, so that the
// tools print SP_NOTEMPTY rather than a number.

import AmoebaCore
import Testing

@Test func directoryServerCodesAreNamed() {
    #expect(ErrorCode(rawValue: -2102).name == "SP_NOTEMPTY")
    #expect(ErrorCode(rawValue: -2103).name == "SP_UNREACH")
    #expect(ErrorCode(name: "SP_CLASH") == ErrorCode(rawValue: -2104))
    #expect(ErrorCode(name: "SP_UNAVAIL") == ErrorCode(rawValue: -2101))
}
