// The server slots of each put-port: how many the port holds, and its
// listening ones in the order their getreqs came. A request takes the
// slot that has listened longest, as the server thread that waited longest
// in getreq should; and finding it, or whether the port has a slot at all,
// costs a look at the node's few ports instead of a walk of every slot.
//
// Every transaction adds a slot (getreq), takes a listening one (the
// request) and removes one (the ACK). Kept as an array of ports, each with
// an array queue of its listening slots, each of those was one or two
// writes into arrays nested in an array, each with a uniqueness check, and
// a queue that shifted its entries down every few dozen requests. Here the
// ports lie in a block the machine alone holds, and each port's listening
// slots form a queue linked through a table by slot index (`next`): a slot
// listens in at most one queue at a time, so one link per index serves
// them all. Adding, taking and removing are a few loads and stores.
//
// A class, so that the machine (itself a class) changes it in place and
// the blocks are freed with it. Not for sharing between threads, like
// everything in a machine.

import AmoebaCore

final class PortSlots {
    private struct Slots {
        let putPort: Port
        /// Slots of the port in any phase.
        var held = 0
        /// The listening slot that listened longest, and the latest (0: none;
        /// no slot has index 0).
        var head: UInt16 = 0
        var tail: UInt16 = 0
    }

    /// A node serves few ports: a short list beats hashing a port per request.
    private let ports = DenseBlock<Slots>()
    /// By slot index: the slot that listened next after it on its port (0: none).
    private var next: UnsafeMutablePointer<UInt16>
    private var nextCapacity = 16

    init() {
        next = UnsafeMutablePointer<UInt16>.allocate(capacity: nextCapacity)
        next.initialize(repeating: 0, count: nextCapacity)
    }

    deinit {
        next.deallocate()
    }

    private func position(of putPort: Port) -> Int? {
        ports.firstIndex { $0.putPort == putPort }
    }

    /// A slot of `putPort` now exists, listening after those listening
    /// already if `listening` names it: one look for the port where a
    /// getreq looked twice.
    func add(_ putPort: Port, listening index: UInt16?) {
        let slots = ports.place(position(of: putPort) ?? newPort(putPort))
        slots.pointee.held += 1
        guard let index else { return }
        if Int(index) >= nextCapacity { growNext(to: Int(index)) }
        next[Int(index)] = 0
        if slots.pointee.tail == 0 {
            slots.pointee.head = index
        } else {
            next[Int(slots.pointee.tail)] = index
        }
        slots.pointee.tail = index
    }

    @inline(never)
    private func newPort(_ putPort: Port) -> Int {
        ports.append(Slots(putPort: putPort))
        return ports.count - 1
    }

    @inline(never)
    private func growNext(to i: Int) {
        let larger = max(i + 1, 2 * nextCapacity)
        let links = UnsafeMutablePointer<UInt16>.allocate(capacity: larger)
        links.initialize(from: next, count: nextCapacity)
        (links + nextCapacity).initialize(repeating: 0, count: larger - nextCapacity)
        next.deallocate()
        next = links
        nextCapacity = larger
    }

    /// A slot of `putPort` is gone (it must not be listening).
    func remove(_ putPort: Port) {
        guard let p = position(of: putPort) else { return }
        let slots = ports.place(p)
        slots.pointee.held -= 1
        guard slots.pointee.held <= 0 else { return }
        // The last port moves into its place: the order of ports is only
        // the order they are searched in.
        _ = ports.removeSwapping(at: p)
    }

    func hasSlots(_ putPort: Port) -> Bool { position(of: putPort) != nil }

    /// The slot of `putPort` listening longest, taken off the queue.
    func takeListening(_ putPort: Port) -> UInt16? {
        guard let p = position(of: putPort) else { return nil }
        let slots = ports.place(p)
        let index = slots.pointee.head
        guard index != 0 else { return nil }
        let after = next[Int(index)]
        slots.pointee.head = after
        if after == 0 { slots.pointee.tail = 0 }
        return index
    }

    /// The slot of `putPort` listening longest, left on the queue.
    func firstListening(_ putPort: Port) -> UInt16? {
        guard let p = position(of: putPort), ports[p].head != 0 else { return nil }
        return ports[p].head
    }

    /// `index` stops listening without a request (a withdrawn getreq).
    func unlisten(_ index: UInt16, _ putPort: Port) {
        guard let p = position(of: putPort) else { return }
        let slots = ports.place(p)
        var before: UInt16 = 0
        var at = slots.pointee.head
        while at != 0 && at != index {
            before = at
            at = next[Int(at)]
        }
        guard at != 0 else { return }
        let after = next[Int(at)]
        if before == 0 { slots.pointee.head = after } else { next[Int(before)] = after }
        if slots.pointee.tail == at { slots.pointee.tail = before }
    }
}
