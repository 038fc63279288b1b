// Several transactions in flight, started and ended by one thread.
//
// Amoeba's trans is one call per thread: the thread sleeps until its
// reply. Moving a file 30 KB at a time that way leaves the link idle for a
// round trip per piece, so put and get keep several pieces in flight. With
// a thread per call, every reply wakes a thread, and the thread reading
// the file or writing the copy is woken again by that one: on a host whose
// tool shares its CPU with its own FLIP endpoint, those switches were a
// fifth of put's CPU.
//
// A pipeline lets the one thread that has the data start several calls
// and take their outcomes as they end, in whatever order that is. A
// transport that runs the node itself (a program's own FLIP endpoint)
// keeps all of them on that thread; any other transport gets the same
// shape from a few threads of its own (ShellSupport's ThreadedPipeline).

import AmoebaCore

public protocol CallPipeline: AnyObject {
    /// Calls started and not yet taken by `next`.
    var inFlight: Int { get }

    /// Starts a call; its outcome comes back from `next` with `tag`. A call
    /// that cannot be started at all (the transport is closed) throws.
    func start(_ header: Header, _ data: [UInt8], tag: Int) throws(ErrorCode)

    /// Waits until one of the calls in flight ends and returns it, tagged;
    /// nil when none is in flight. A reply carrying an error status is a
    /// success: as with `Transactor`, the caller decides what it means.
    func next() -> (tag: Int, result: Result<(header: Header, data: [UInt8]), ErrorCode>)?

    /// Drops the calls in flight (their replies, if any come, go nowhere)
    /// and lets go of what the pipeline holds; nothing may be started after.
    func close()
}
