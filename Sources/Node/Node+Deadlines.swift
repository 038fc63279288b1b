// When the node next has something to do, asked cheaply by a driver that
// keeps one wake-up for it.
//
// `nextDeadline` asks every part of the node: the box, both RPC machines
// (each a look at two deadline heaps), the transactions' deadlines and the
// upper layers. A kernel node asks after every round of its network thread
// and after every reply a server thread hands in, and most of those asks
// find what the last one found: a served transaction changes the server
// machine, never the client machine. A driver whose wake-up only ever
// moves earlier (a timer left armed past a deadline that went away wakes
// it once for nothing) needs only what may have come before it:
// `earliestNewDeadline` asks the parts that changed since the driver last
// asked, plus the box, the transactions' deadline and the layers, which
// cost little or are rare. A machine counts as changed when the node
// handed it a call, an event or a frame's message; until then its deadlines
// are those it had when last asked, no earlier than the wake-up the driver
// set from them.
//
// A driver that lets its wake-up pass (the timer fired, or it found the
// deadline already due and did not sleep) asks `nextDeadline` again: the
// parts not asked since may be due by then.

import AmoebaCore
import FLIP
import RPC

extension Node {
    /// The earliest deadline of the parts that may have changed since the
    /// last `nextDeadline` or `earliestNewDeadline` (see the top of this
    /// file), nil when none has one. Only for a driver that keeps its
    /// wake-up no later than everything either of them returned.
    public func earliestNewDeadline() -> Instant? {
        var d = earliest(box.nextDeadline, transactionDeadline)
        if clientChanged {
            clientChanged = false
            d = earliest(d, client.nextDeadline)
        }
        if serverChanged {
            serverChanged = false
            d = earliest(d, server.nextDeadline)
        }
        if !layers.isEmpty { for layer in layers { d = earliest(d, layer.nextDeadline) } }
        return d
    }
}
