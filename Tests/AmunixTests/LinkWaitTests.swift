// LinkWait, what an own endpoint's driver sleeps in: it must say which of
// its two descriptors woke it (a frame on the link, a nudge on the pipe,
// or both), end at its deadline with neither, and keep saying so while a
// descriptor stays readable (level-triggered, as poll was: the driver
// drains the pipe and the link itself). Its deadline is a timer armed only
// when a wait asks for an earlier one than it holds: later deadlines arm
// nothing, an earlier one still ends the wait on time, and a timer armed
// for an earlier deadline ends a later wait early (the driver waits
// again). Two pipes stand in for the link and the wake pipe.

import AmoebaCore
@testable import AmunixDaemon
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct LinkWaitTests {
    /// A pipe's read and write ends, the read end non-blocking.
    static func pipePair() -> (reader: Int32, writer: Int32) {
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0)
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }

    static func ring(_ fd: Int32) {
        var one: UInt8 = 1
        _ = write(fd, &one, 1)
    }

    typealias Pipe = (reader: Int32, writer: Int32)

    /// A wait over two fresh pipes standing in for the link and the wake
    /// pipe, all closed once `body` is done.
    static func withSleeper(_ body: (_ link: Pipe, _ wake: Pipe, _ sleeper: LinkWait) -> Void) {
        let link = pipePair(), wake = pipePair()
        defer { for fd in [link.reader, link.writer, wake.reader, wake.writer] { close(fd) } }
        let sleeper = LinkWait(link: link.reader, wake: wake.reader)
        defer { sleeper.close() }
        body(link, wake, sleeper)
    }

    /// A wait of `milliseconds` from now.
    static func wait(_ sleeper: LinkWait, milliseconds: Int64) -> LinkWait.Readiness {
        sleeper.wait(until: MonotonicClock.now + .milliseconds(milliseconds))
    }

    @Test func saysWhichWokeItAndTimesOutWithNeither() {
        Self.withSleeper { link, wake, sleeper in
            // Every Linux this runs on has epoll (2.6 on).
            #expect(sleeper.usesEpoll)

            var r = Self.wait(sleeper, milliseconds: 20)
            #expect(!r.link && !r.wake)

            Self.ring(link.writer)
            r = Self.wait(sleeper, milliseconds: 1000)
            #expect(r.link && !r.wake)
            // Still readable: still reported, until drained.
            r = Self.wait(sleeper, milliseconds: 1000)
            #expect(r.link && !r.wake)

            Self.ring(wake.writer)
            r = Self.wait(sleeper, milliseconds: 1000)
            #expect(r.link && r.wake)

            var byte: UInt8 = 0
            _ = read(link.reader, &byte, 1)
            r = Self.wait(sleeper, milliseconds: 1000)
            #expect(!r.link && r.wake)
            _ = read(wake.reader, &byte, 1)
            r = Self.wait(sleeper, milliseconds: 20)
            #expect(!r.link && !r.wake)
        }
    }

    /// Seconds since `start` on the monotonic clock.
    static func seconds(since start: Instant) -> Double {
        Double((MonotonicClock.now - start).microseconds) / 1e6
    }

    @Test func laterDeadlinesArmNothingAndAnEarlierOneEndsTheWaitOnTime() {
        Self.withSleeper { link, wake, sleeper in
            #expect(sleeper.usesTimer)

            // A frame waits: every wait returns at once, and only the first,
            // whose deadline nothing armed covers, arms the timer.
            Self.ring(link.writer)
            let start = MonotonicClock.now
            for i in 0..<50 {
                let r = sleeper.wait(until: start + .seconds(5) + .milliseconds(Int64(i)))
                #expect(r.link && !r.timer)
            }
            #expect(sleeper.timesArmed == 1)

            // Drained, the link is quiet: an earlier deadline is armed and
            // ends the wait at its time, not at the five seconds armed before.
            var byte: UInt8 = 0
            _ = read(link.reader, &byte, 1)
            let soon = MonotonicClock.now
            let r = sleeper.wait(until: soon + .milliseconds(30))
            let took = Self.seconds(since: soon)
            #expect(r.timer && !r.link && !r.wake)
            #expect(sleeper.timesArmed == 2)
            #expect(took >= 0.029 && took < 2, "took \(took) s")
            // Never before its deadline: the driver would spin on it.
            #expect(MonotonicClock.now >= soon + .milliseconds(30))
        }
    }

    @Test func aTimerArmedEarlierEndsALaterWaitEarly() {
        Self.withSleeper { link, wake, sleeper in

            // Armed for 40 ms from now by a wait that a frame ended at once.
            Self.ring(link.writer)
            let start = MonotonicClock.now
            #expect(sleeper.wait(until: start + .milliseconds(40)).link)
            var byte: UInt8 = 0
            _ = read(link.reader, &byte, 1)
            // The deadline moved later: nothing is armed anew, and the wait
            // ends with the timer at 40 ms, for the caller to wait again.
            let r = sleeper.wait(until: start + .seconds(10))
            #expect(r.timer && !r.link)
            #expect(sleeper.timesArmed == 1)
            let took = Self.seconds(since: start)
            #expect(took >= 0.039 && took < 5, "took \(took) s")
            // A deadline already past neither sleeps nor arms.
            let before = sleeper.timesArmed
            let pastStart = MonotonicClock.now
            let past = sleeper.wait(until: pastStart)
            #expect(!past.link && !past.wake && !past.timer)
            #expect(sleeper.timesArmed == before)
            #expect(Self.seconds(since: pastStart) < 1)
        }
    }
}
