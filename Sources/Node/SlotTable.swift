// Who owns each server slot, and whether it waits or serves.
//
// The RPC machine numbers its slots with small indices it reuses (bounded
// by its state limit), so the owners live in an array indexed by slot
// rather than a hash table: a request costs three look-ups here (getreq,
// arrival, putrep), and walks over the table come out in slot order, which
// keeps what follows from them independent of hashing.

import RPC

enum SlotState<Owner> {
    case waiting(Owner)
    case serving(Owner)

    var owner: Owner {
        switch self {
        case .waiting(let o), .serving(let o): return o
        }
    }
}

struct SlotTable<Owner> {
    private var states: [SlotState<Owner>?] = []

    subscript(slot: ServerSlotID) -> SlotState<Owner>? {
        get {
            let i = Int(slot.rawValue)
            return i < states.count ? states[i] : nil
        }
        set {
            let i = Int(slot.rawValue)
            if i >= states.count {
                guard newValue != nil else { return }
                states.append(contentsOf: repeatElement(nil, count: i + 1 - states.count))
            }
            states[i] = newValue
        }
    }

    /// Turns `slot` from waiting to serving where it lies and returns its
    /// owner; nil, leaving it as it was, if it was not waiting. Read out
    /// and stored back, the state was copied and destroyed whole, the
    /// owner retained and released on the way, for every request.
    mutating func startServing(_ slot: ServerSlotID) -> Owner? {
        let i = Int(slot.rawValue)
        guard i < states.count else { return nil }
        switch states[i].take() {
        case .waiting(let owner)?:
            states[i] = .serving(owner)
            return owner
        case let other:
            states[i] = other
            return nil
        }
    }

    /// Forgets `slot` and returns what it was.
    mutating func remove(_ slot: ServerSlotID) -> SlotState<Owner>? {
        let s = self[slot]
        self[slot] = nil
        return s
    }

    /// The slots whose state `matches`, in slot order.
    func slots(where matches: (SlotState<Owner>) -> Bool) -> [ServerSlotID] {
        var found: [ServerSlotID] = []
        for (i, s) in states.enumerated() {
            if let s, matches(s) { found.append(ServerSlotID(rawValue: UInt16(truncatingIfNeeded: i))) }
        }
        return found
    }

    /// How many slots wait and how many serve.
    var counts: (waiting: Int, serving: Int) {
        var w = 0, s = 0
        for state in states {
            switch state {
            case .waiting?: w += 1
            case .serving?: s += 1
            case nil: break
            }
        }
        return (w, s)
    }

    mutating func removeAll() { states.removeAll() }
}
