// The kernel's segment service as pure logic: which in-core segments exist,
// the capabilities that name them, and the standard commands on them.
//
// An in-core segment is an object of the kernel's segment service, named
// the Amoeba way: the service's put-port, the segment's object number, the
// rights, and a check field made from a random number only the kernel
// knows (F of it for restricted rights). Whoever holds the capability can
// hand it to another process inside any message; that process maps the
// segment by capability, and the rights decide how: PSR_READ is needed to
// map at all, PSR_WRITE to map writable. A capability whose check does not
// match, that names another service or a segment that no longer exists is
// STD_CAPBAD, so guessing or altering one gets nowhere.
//
// A segment lives while it is mapped somewhere: creating one maps it into
// its creator, every map adds one to its count, every unmap (or the end of
// a mapping process) takes one away, and when the count reaches zero the
// segment is gone and its pages can go back to the page allocator. The
// frames themselves belong to the kernel layer; this table only decides.
import AmoebaCore
import NodeServers

/// The rights bits of segment capabilities (the process server's PSR_ bits).
public enum SegmentRights {
    public static let read = Rights(rawValue: 0x01)
    public static let write = Rights(rawValue: 0x02)
    public static let delete = Rights(rawValue: 0x08)
}

public struct InCoreSegment: Equatable, Sendable {
    public let object: ObjectNumber
    public let size: UInt32
    public let random: Port
    public internal(set) var mappings: Int
}

/// How a mapping may be made: `writable` when the rights and the request allow it.
public struct MapDecision: Equatable, Sendable {
    public let object: ObjectNumber
    public let size: UInt32
    public let writable: Bool
}

public final class SegmentService {
    /// The largest segment one call may create.
    public static let maximumSize: UInt32 = 16 << 20
    /// seg_map flag: map read-only even when the capability allows writing.
    public static let mapReadOnly: UInt32 = 1

    public let identity: ServiceIdentity
    private let newRandom: () -> Port
    public private(set) var segments: [UInt32: InCoreSegment] = [:]
    private var nextObject: UInt32 = 1

    public init(identity: ServiceIdentity, random: @escaping () -> Port) {
        self.identity = identity
        self.newRandom = random
    }

    /// A new segment of `size` bytes (rounded up to pages), already counted
    /// as mapped once (by its creator); its owner capability with all rights.
    public func create(size: UInt32) -> Result<(Capability, InCoreSegment), ErrorCode> {
        guard size > 0, size <= SegmentService.maximumSize else { return .failure(.argumentBad) }
        guard nextObject <= ObjectNumber.max else { return .failure(.noSpace) }
        let rounded = (size + 0xFFF) & ~0xFFF
        let object = ObjectNumber(nextObject)!
        nextObject += 1
        let random = newRandom()
        let segment = InCoreSegment(object: object, size: rounded, random: random, mappings: 1)
        segments[object.value] = segment
        let cap = Capability(port: identity.putPort, private: PrivatePart(object: object, rights: .all, random: random))
        return .success((cap, segment))
    }

    /// The segment a capability names and the rights it proves, or STD_CAPBAD.
    public func validate(_ cap: Capability) -> Result<(InCoreSegment, Rights), ErrorCode> {
        guard cap.port == identity.putPort, let s = segments[cap.private.object.value],
              cap.private.isValid(forRandom: s.random) else { return .failure(.capabilityBad) }
        return .success((s, cap.private.rights))
    }

    /// Whether and how `cap` may be mapped with seg_map `flags`; counts the mapping when allowed.
    public func map(_ cap: Capability, flags: UInt32) -> Result<MapDecision, ErrorCode> {
        guard flags & ~SegmentService.mapReadOnly == 0 else { return .failure(.argumentBad) }
        let segment: InCoreSegment, rights: Rights
        switch validate(cap) {
        case let .success((s, r)): (segment, rights) = (s, r)
        case let .failure(e): return .failure(e)
        }
        guard rights.contains(SegmentRights.read) else { return .failure(.denied) }
        let writable = rights.contains(SegmentRights.write) && flags & SegmentService.mapReadOnly == 0
        segments[segment.object.value]!.mappings += 1
        return .success(MapDecision(object: segment.object, size: segment.size, writable: writable))
    }

    /// One mapping of `object` went away; true when it was the last, and the segment is gone.
    @discardableResult
    public func unmapped(_ object: ObjectNumber) -> Bool {
        guard var s = segments[object.value] else { return false }
        s.mappings -= 1
        if s.mappings > 0 { segments[object.value] = s; return false }
        segments[object.value] = nil
        return true
    }

    /// The standard commands on segment capabilities (and on the service's own, object 0).
    public func handle(_ request: Message) -> Message {
        let h = request.header
        if h.private.object.value == 0 {
            return StandardRequests.handle(request, identity: identity, info: "process/segment server",
                                           status: { "\(self.segments.count) in-core segments" }) ?? .status(.commandBad)
        }
        let segment: InCoreSegment, rights: Rights
        switch validate(Capability(port: identity.putPort, private: h.private)) {
        case let .success((s, r)): (segment, rights) = (s, r)
        case let .failure(e): return .status(e)
        }
        switch h.command {
        case StandardCommand.info:
            return .text("in-core segment, \(segment.size) bytes")
        case StandardCommand.status:
            return .text("segment \(segment.object.value): \(segment.size) bytes, mapped \(segment.mappings) times")
        case StandardCommand.restrict:
            let mask = Rights(rawValue: UInt8(truncatingIfNeeded: h.offset))
            var reply = Header()
            reply.status = .ok
            reply.port = identity.putPort
            reply.private = PrivatePart(object: segment.object, rights: Rights(rawValue: rights.rawValue & mask.rawValue),
                                        random: segment.random)
            return Message(header: reply)
        case StandardCommand.touch, StandardCommand.age:
            return .status(.ok)
        default:
            return .status(.commandBad)
        }
    }
}
