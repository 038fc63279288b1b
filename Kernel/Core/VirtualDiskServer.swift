// The virtual disk server's rules (`vdisk:NN`, AMOEBA-FACTS §3), as a
// request handler over a BlockDevice: one disk, one capability (object =
// the disk number), the commands of Amoeba's kernel disk thread with its
// checks in its order: the capability (STD_CAPBAD), then the right the
// command needs (READ, WRITE or CTL: STD_DENIED), then the arguments
// (STD_ARGBAD). The whole device is the one piece the disk is made of:
// there is no Amoeba label to skip, so block 0 of the vdisk is block 0 of
// the image.
//
// A DS_WRITE is answered only after the device has flushed it, so an
// acknowledged write is on stable storage, as it was on Amoeba's disks
// without a write cache; the block store above relies on that.
//
// The handler blocks its calling thread for as long as the device takes;
// the kernel runs it on server threads of its own, never on the network
// thread.
import AmoebaCore
import DiskProtocol

public final class VirtualDiskServer<Device: BlockDevice> {
    public let identity: ServiceIdentity
    public let device: Device
    /// Its name in the kernel directory, "vdisk:NN" (hex, as Amoeba's dirnappend).
    public let name: String

    public init(number: UInt32, device: Device, getPort: Port, random: Port) {
        identity = ServiceIdentity(getPort: getPort, random: random, object: ObjectNumber(number & 0xFF_FFFF)!)
        self.device = device
        name = "vdisk:" + VirtualDiskServer.twoHexDigits(number)
    }

    /// The get-port and random of disk `number`, derived one-way from the
    /// host's own: the disk's capability lasts as long as the host
    /// capability does (across reboots when the host's is configured),
    /// as an Amoeba vdisk's did by living in its disk label, and it gives
    /// away nothing of the host's secret get-port.
    public static func derivedPorts(host: ServiceIdentity, disk number: UInt32) -> (getPort: Port, random: Port) {
        func mix(_ p: Port, _ tag: [UInt8]) -> Port {
            var b = p.bytes
            for i in 0..<6 { b[i] ^= tag[i] }
            b[5] ^= UInt8(truncatingIfNeeded: number)
            return OneWay.apply(Port(bytes: b)!)
        }
        return (mix(host.getPort, [0x76, 0x64, 0x69, 0x73, 0x6B, 0x67]),   // "vdiskg"
                mix(host.random, [0x76, 0x64, 0x69, 0x73, 0x6B, 0x72]))    // "vdiskr"
    }

    static func twoHexDigits(_ n: UInt32) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        var s = ""
        if n > 0xFF { s = "\(n >> 8)" }   // wider numbers: not expected, kept readable
        s.append(digits[Int((n >> 4) & 0xF)])
        s.append(digits[Int(n & 0xF)])
        return s
    }

    public func handle(_ h: Header, _ body: [UInt8]) -> Message {
        switch h.command {
        case StandardCommand.age, StandardCommand.touch:
            // Amoeba's disk thread accepts both without looking at the capability.
            return .status(.ok)
        case StandardCommand.info:
            guard body.isEmpty else { return .status(.argumentBad) }
            return withRights(h, DiskRights.read) {
                .text(DiskInfoText.line(kilobytes: device.blockCount >> 1))
            }
        case StandardCommand.restrict:
            return Message(header: identity.restrictReply(h))
        case DiskCommand.info.rawValue:
            guard body.isEmpty else { return .status(.argumentBad) }
            return withRights(h, DiskRights.read) {
                let piece = DiskPiece(unit: 0, firstBlock: 0, blockCount: Int32(clamping: device.blockCount))
                return data(DiskPiece.encode([piece]))
            }
        case DiskCommand.getGeometry.rawValue:
            return withRights(h, DiskRights.read) { data(device.geometry.encoded) }
        case DiskCommand.size.rawValue:
            return withRights(h, DiskRights.read) {
                guard DiskTransfer.validShift(h.size) else { return .status(.argumentBad) }
                var r = Header.status(.ok)
                r.offset = Int32(clamping: device.blockCount >> (UInt64(h.size) - UInt64(DiskLimits.physicalShift)))
                return Message(header: r)
            }
        case DiskCommand.read.rawValue:
            return withRights(h, DiskRights.read) { read(DiskTransfer(header: h)) }
        case DiskCommand.write.rawValue:
            return withRights(h, DiskRights.write) { write(DiskTransfer(header: h), body) }
        case DiskCommand.control.rawValue:
            // A virtio disk has no eject or format: Amoeba answers STD_COMBAD
            // for a controller without a control routine.
            return withRights(h, DiskRights.control) { .status(.commandBad) }
        default:
            return .status(.commandBad)
        }
    }

    /// `body`'s answer when the capability is genuine and carries `needed`.
    private func withRights(_ h: Header, _ needed: Rights, _ body: () -> Message) -> Message {
        guard let rights = identity.rights(of: h) else { return .status(.capabilityBad) }
        guard rights.contains(needed) else { return .status(.denied) }
        return body()
    }

    private func data(_ bytes: [UInt8]) -> Message {
        var r = Header.status(.ok)
        r.size = UInt16(truncatingIfNeeded: bytes.count)
        return Message(header: r, body: bytes)
    }

    private func read(_ t: DiskTransfer) -> Message {
        guard case .success(let range) = t.physicalRange(diskBlocks: device.blockCount) else { return .status(.argumentBad) }
        var buffer = [UInt8](repeating: 0, count: range.count << DiskLimits.physicalShift)
        let status = device.read(first: range.first, into: &buffer)
        guard status == .ok else { return .status(status.errorCode) }
        return data(buffer)
    }

    private func write(_ t: DiskTransfer, _ body: [UInt8]) -> Message {
        guard case .success(let range) = t.physicalRange(diskBlocks: device.blockCount),
              body.count == range.count << DiskLimits.physicalShift else { return .status(.argumentBad) }
        guard !device.isReadOnly else { return .status(.writeProtected) }
        var status = device.write(first: range.first, body)
        if status == .ok { status = device.flush() }
        return .status(status.errorCode)
    }
}
