import Testing
import AmoebaCore
import Storage
import Bullet

@Suite struct BulletTransferTests {
    @Test func uploadThenDownload() {
        let (_, c) = memoryBullet()
        for size in [0, 1, BulletLimits.requestData, BulletLimits.requestData + 1, 100_000] {
            let data = pattern(size, seed: size)
            var up = BulletUpload(server: c.server.superCapability, total: size)
            var requests = 0
            while let (h, range) = up.nextRequest() {
                up.accept(c.server.handle(header: h, data: Array(data[range])).0)
                requests += 1
            }
            #expect(up.failure == nil)
            #expect(requests == max(1, (size + BulletLimits.requestData - 1) / BulletLimits.requestData))
            let file = up.file!
            #expect(c.size(file) == (.ok, size))

            var down = BulletDownload(file: file, piece: 10_000)
            var copy = [UInt8]()
            while let h = down.nextRequest() {
                let (reply, bytes) = c.server.handle(header: h, data: [])
                copy += down.accept(reply, bytes)
            }
            #expect(down.failure == nil)
            #expect(copy == data, "size \(size)")
        }
    }

    @Test func failuresStopTheTransfer() {
        let (_, c) = memoryBullet()
        let weak = c.restricted(c.server.superCapability, BulletRights.read)
        var up = BulletUpload(server: weak, total: 10)
        let (h, _) = up.nextRequest()!
        up.accept(c.server.handle(header: h, data: pattern(10)).0)
        #expect(up.failure == .denied)
        #expect(up.nextRequest() == nil)

        var down = BulletDownload(file: weak)
        let rh = down.nextRequest()!
        let (reply, bytes) = c.server.handle(header: rh, data: [])
        #expect(down.accept(reply, bytes).isEmpty)
        #expect(down.failure == .capabilityBad)
        #expect(down.nextRequest() == nil)
    }
}
