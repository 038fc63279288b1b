// A program endpoint's pcap: link (PacketSocketLink) and the sleep its
// driver takes in it: one blocking recvmmsg, cut short by a signal. On the
// loopback interface, where what one station sends comes back to the
// kernel as received; needs root (a raw socket), so the tests run only then.
//
// What the driver relies on: a nudge ends a wait promptly, also one that
// came before the thread entered its receive (the signal lands first: a
// handler that merely interrupted the call would leave it asleep); a
// deadline ends a wait on time, and waits whose deadlines lie past the one
// armed arm nothing; the socket passes only FLIP frames to this station
// or to a group; and a burst of several credit windows waits whole in the
// socket's buffer until the driver reads it.

@testable import AmunixDaemon
import AmoebaCore
import FLIP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .enabled(if: geteuid() == 0, "needs a raw socket"))
struct PacketSocketLinkTests {
    static let sender = EthernetAddress(bytes: [0x02, 0x66, 0x71, 0x00, 0x00, 0x01])!
    static let receiver = EthernetAddress(bytes: [0x02, 0x66, 0x71, 0x00, 0x00, 0x02])!

    static func open(_ mac: EthernetAddress) throws -> PacketSocketLink {
        try PacketSocketLink(name: "pcap:lo", interface: "lo", mac: mac)
    }

    /// A frame to `destination` of `type` whose payload carries `tag`.
    static func frame(to destination: [UInt8], type: UInt16 = 0x8146, tag: Int, size: Int = 60) -> [UInt8] {
        var f = destination + sender.bytes + [UInt8(type >> 8), UInt8(type & 0xFF)]
        f += [UInt8(tag & 0xFF), UInt8(tag >> 8)]
        while f.count < size { f.append(UInt8(truncatingIfNeeded: f.count &+ tag)) }
        return f
    }

    /// Whether `frame` came from one of this suite's stations. Other tests
    /// run at the same time and their endpoints on lo broadcast (a FLIP
    /// LOCATE goes to a group, which every station takes): what they send
    /// is not this suite's to count.
    static func isOurs(_ frame: [UInt8]) -> Bool {
        frame.count >= 16 && (Array(frame[6..<12]) == sender.bytes || Array(frame[6..<12]) == receiver.bytes)
    }

    /// Waits as the driver does until `count` of this suite's frames came
    /// or a wait of 300 ms brought none; the tags of those that came.
    static func collect(_ link: PacketSocketLink, count: Int) -> [Int] {
        var tags: [Int] = []
        while tags.count < count {
            link.willWait()
            let ready = link.wait(until: MonotonicClock.now + .milliseconds(300))
            let before = tags.count
            link.receiveAll { f in if isOurs(f) { tags.append(Int(f[14]) | Int(f[15]) << 8) } }
            if !ready.link && tags.count == before { break }
        }
        return tags
    }

    /// Waits as the driver does until `deadline`, taking and ignoring what
    /// other tests' stations send meanwhile; false if a frame of this
    /// suite's ended the wait first.
    static func sleep(_ link: PacketSocketLink, until deadline: Instant) -> Bool {
        while true {
            link.willWait()
            guard link.wait(until: deadline).link else { return true }
            var ours = false
            link.receiveAll { f in if isOurs(f) { ours = true } }
            if ours { return false }
            if MonotonicClock.now >= deadline { return true }
        }
    }

    @Test func aNudgeEndsAWaitPromptly() throws {
        // Used by the waiting thread and this one, as the endpoint's driver
        // and its nudgers use it: the nudge under the lock the wait began under.
        nonisolated(unsafe) let link = try Self.open(Self.receiver)
        defer { link.close() }
        let lock = NSLock()
        let waiting = DispatchSemaphore(value: 0)
        let ended = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Thread {
            lock.lock()
            link.willWait()
            lock.unlock()
            waiting.signal()
            let start = MonotonicClock.now
            var ready = link.wait(until: start + .seconds(5))
            // Woken by other tests' frames on lo: not what is tested; wait on.
            while ready.link {
                var ours = false
                link.receiveAll { f in if Self.isOurs(f) { ours = true } }
                if ours { break }
                lock.lock()
                link.willWait()
                lock.unlock()
                ready = link.wait(until: start + .seconds(5))
            }
            box.set(took: MonotonicClock.now - start, ready: ready)
            ended.signal()
        }.start()
        waiting.wait()
        Thread.sleep(forTimeInterval: 0.05)
        lock.lock()
        link.nudge()
        lock.unlock()
        #expect(ended.wait(timeout: .now() + 2) == .success, "the nudge did not end the wait")
        let (took, ready) = box.get()
        #expect(took < .milliseconds(1500))
        #expect(ready?.link == false)
        // The socket blocks again: the next wait sleeps until its deadline.
        let start = MonotonicClock.now
        _ = Self.sleep(link, until: start + .milliseconds(60))
        #expect(MonotonicClock.now - start >= .milliseconds(50))
    }

    /// The signal of a nudge made just before the wait's receive begins
    /// is handled first; the wait must still end at once.
    @Test func aNudgeBeforeTheReceiveIsNotLost() throws {
        let link = try Self.open(Self.receiver)
        defer { link.close() }
        link.willWait()
        link.nudge()   // this thread: its handler runs before the wait
        let start = MonotonicClock.now
        _ = link.wait(until: start + .seconds(3))
        #expect(MonotonicClock.now - start < .milliseconds(1000))
    }

    @Test func aDeadlineEndsTheWaitOnTimeAndIsArmedOnlyWhenEarlier() throws {
        let receiver = try Self.open(Self.receiver)
        defer { receiver.close() }
        let sender = try Self.open(Self.sender)
        defer { sender.close() }
        let start = MonotonicClock.now
        #expect(Self.sleep(receiver, until: start + .milliseconds(80)))
        let took = MonotonicClock.now - start
        #expect(took >= .milliseconds(79) && took < .milliseconds(600), "took \(took)")
        #expect(receiver.timesArmed == 1)
        // Waits ended by frames, each until a deadline past the one armed.
        let far = MonotonicClock.now + .seconds(2)
        for i in 0..<40 {
            sender.send(Self.frame(to: Self.receiver.bytes, tag: i))
            sender.flush()
            // Ended by this frame (or first by another test's: then the
            // next wait finds this one waiting).
            #expect(!Self.sleep(receiver, until: far + .milliseconds(Int64(i))))
        }
        #expect(receiver.timesArmed == 2, "armed \(receiver.timesArmed) times for 41 waits")
        // An earlier deadline is armed anew, and kept.
        let soon = MonotonicClock.now
        _ = Self.sleep(receiver, until: soon + .milliseconds(30))
        #expect(MonotonicClock.now - soon < .milliseconds(600))
        #expect(receiver.timesArmed == 3)
    }

    @Test func onlyFLIPFramesToThisStationOrAGroupArrive() throws {
        let receiver = try Self.open(Self.receiver)
        defer { receiver.close() }
        let sender = try Self.open(Self.sender)
        defer { sender.close() }
        let other: [UInt8] = [0x02, 0x66, 0x71, 0x00, 0x00, 0x03]
        sender.send(Self.frame(to: other, tag: 1))
        sender.send(Self.frame(to: Self.receiver.bytes, type: 0x0800, tag: 2))
        sender.send(Self.frame(to: Self.receiver.bytes, tag: 3))
        sender.send(Self.frame(to: [0x55, 0x55, 0x00, 0x00, 0x00, 0x07], tag: 4))
        sender.flush()
        #expect(Self.collect(receiver, count: 3) == [3, 4])
        // The sender hears neither its own frames nor the receiver's.
        #expect(Self.collect(sender, count: 1) == [])
    }

    /// Five credit windows (DaemonConfiguration.creditGrant) of the largest
    /// frames, sent before the receiver reads any: all of them arrive, in
    /// order (a frame lost to a full buffer stalls a transfer 200 ms).
    @Test func aBurstOfSeveralWindowsIsKeptWhole() throws {
        let receiver = try Self.open(Self.receiver)
        defer { receiver.close() }
        let sender = try Self.open(Self.sender)
        defer { sender.close() }
        let count = 5 * Int(DaemonConfiguration.creditGrant)
        for i in 0..<count {
            sender.send(Self.frame(to: Self.receiver.bytes, tag: i, size: 1514))
            if i % 50 == 49 { sender.flush() }
        }
        sender.flush()
        #expect(sender.errors == 0)
        #expect(Self.collect(receiver, count: count) == Array(0..<count))
    }
}

/// What the waiting thread saw, for the test's thread.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var took = Interval(microseconds: 0)
    private var ready: LinkWait.Readiness?
    func set(took: Interval, ready: LinkWait.Readiness) { lock.withLock { (self.took, self.ready) = (took, ready) } }
    func get() -> (Interval, LinkWait.Readiness?) { lock.withLock { (took, ready) } }
}
