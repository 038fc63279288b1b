// The server slots of each put-port: how many the port holds, and its
// listening ones in the order their getreqs came. A request takes the
// slot that has listened longest, as the server thread that waited longest
// in getreq should; and finding it, or whether the port has a slot at all,
// costs a look at the node's few ports instead of a walk of every slot.

import AmoebaCore

struct PortSlots {
    private struct Slots {
        let putPort: Port
        /// Slots of the port in any phase.
        var held = 0
        /// Listening slots, oldest first from `head`.
        var listening: [UInt16] = []
        var head = 0

        var waiting: Int { listening.count - head }
    }

    /// A node serves few ports: a short list beats hashing a port per request.
    private var ports: [Slots] = []

    private func position(of putPort: Port) -> Int? {
        ports.firstIndex { $0.putPort == putPort }
    }

    /// A slot of `putPort` now exists, listening after those listening
    /// already if `listening` names it: one look for the port where a
    /// getreq looked twice.
    mutating func add(_ putPort: Port, listening index: UInt16?) {
        if let p = position(of: putPort) {
            ports[p].held += 1
            if let index { ports[p].listening.append(index) }
        } else {
            var slots = Slots(putPort: putPort, held: 1)
            if let index { slots.listening.append(index) }
            ports.append(slots)
        }
    }

    /// A slot of `putPort` is gone (it must not be listening).
    mutating func remove(_ putPort: Port) {
        guard let p = position(of: putPort) else { return }
        ports[p].held -= 1
        if ports[p].held <= 0 { ports.remove(at: p) }
    }

    func hasSlots(_ putPort: Port) -> Bool { position(of: putPort) != nil }

    /// The slot of `putPort` listening longest, taken off the queue.
    mutating func takeListening(_ putPort: Port) -> UInt16? {
        guard let p = position(of: putPort), ports[p].waiting > 0 else { return nil }
        let index = ports[p].listening[ports[p].head]
        ports[p].head += 1
        if ports[p].head == ports[p].listening.count {
            ports[p].listening.removeAll(keepingCapacity: true)
            ports[p].head = 0
        } else if ports[p].head > 32 && 2 * ports[p].head > ports[p].listening.count {
            ports[p].listening.removeFirst(ports[p].head)
            ports[p].head = 0
        }
        return index
    }

    /// The slot of `putPort` listening longest, left on the queue.
    func firstListening(_ putPort: Port) -> UInt16? {
        guard let p = position(of: putPort), ports[p].waiting > 0 else { return nil }
        return ports[p].listening[ports[p].head]
    }

    /// `index` stops listening without a request (a withdrawn getreq).
    mutating func unlisten(_ index: UInt16, _ putPort: Port) {
        guard let p = position(of: putPort),
              let i = ports[p].listening[ports[p].head...].firstIndex(of: index) else { return }
        ports[p].listening.remove(at: i)
    }
}
