// The common send, in a straight line.
//
// A node sends to the same peer message after message: a request, its
// ACK, the next request. Each send looked up the sender's address, looked
// for a local listener and a pending locate, chose the best route among
// the destination's, built the FLIP header field by field and asked flow
// control whether the frame may go: some six hundred instructions a frame
// for an answer that is the same as last time. The box remembers how its
// last message of one frame went (`SendPath`): from which endpoint, to
// which address, by which route (a `RouteHandle`, RoutingTable.swift), and
// the first 24 bytes of its frame, which stay the same while the route
// does. The next such send is a few guards and seven stores.
//
// The guards are what makes the remembered answer the general path's
// answer: the routing table unchanged but for times (its generation), the
// route not expired, no locate pending, nothing queued for the peer, the
// message in one frame that costs no credit. Registering or dropping an
// endpoint forgets the path (the destination may be ours now). Anything
// else goes the general way (FLIPBox.swift), which remembers anew.

import AmoebaCore

struct SendPath {
    var endpoint: Int
    var destination: FLIPAddress
    var secure: Bool
    var source: FLIPAddress
    var route: RouteHandle
    var interface: Int
    var location: EthernetAddress
    /// Bytes 0 to 23 of the frame, little-endian words: the Ethernet
    /// header, the fragment control pair, and the FLIP header up to its
    /// addresses (version, type, flags, hop counts).
    var head: (UInt64, UInt64, UInt64)
    /// Whether the heard path's route is known to be `route`: then the
    /// checks that read the heard path need not compare the handles.
    /// Cleared when a claim makes a new heard path (`FLIPBox.hearAnew`).
    var heard = false
}

extension FLIPBox {
    /// Sends `frame` (with its headroom) on the remembered path, if it
    /// applies; its message id. nil, with nothing done, otherwise.
    @inline(__always)
    func sendCommon(_ frame: inout [UInt8], from: EndpointID, to destination: FLIPAddress, secure: Bool) -> UInt32? {
        guard let p = sendPath, p.endpoint == from.rawValue, p.destination == destination, p.secure == secure,
              locator.pending.isEmpty else { return nil }
        let count = frame.count - FLIPBox.headroom
        // What the usual send needs of the path is read here; the rest is
        // read out of line, where it is needed, so that the handle is not
        // held in registers (and spilled) on the way.
        guard count <= configuration.maxFragmentData, flow.peers.isEmpty || sendPathHasNothingQueued(),
              p.heard && (heardNow(p.route, known: true) || useHeardPath(p.route, known: true))
                || sendPathRouteUsable() else { return nil }
        let id = allocateMessageID()
        statistics.messagesSent &+= 1
        if frame.count < EthernetFrame.minimumSize {
            frame.append(contentsOf: repeatElement(0, count: EthernetFrame.minimumSize - frame.count))
        }
        let sizes = UInt64(UInt32(truncatingIfNeeded: count))
        // The path is read again after the uniqueness check, not held in
        // registers (or spilled) across it.
        let interface = frame.withUnsafeMutableBytes { b in
            let q = b.baseAddress!
            let p = sendPath!
            q.storeBytes(of: p.head.0.littleEndian, toByteOffset: 0, as: UInt64.self)
            q.storeBytes(of: p.head.1.littleEndian, toByteOffset: 8, as: UInt64.self)
            q.storeBytes(of: p.head.2.littleEndian, toByteOffset: 16, as: UInt64.self)
            q.storeBytes(of: destination.littleEndianBits.littleEndian, toByteOffset: 24, as: UInt64.self)
            q.storeBytes(of: p.source.littleEndianBits.littleEndian, toByteOffset: 32, as: UInt64.self)
            // Message id and length; offset 0 and the total, the length.
            q.storeBytes(of: (UInt64(id) | sizes << 32).littleEndian, toByteOffset: 40, as: UInt64.self)
            q.storeBytes(of: (sizes << 32).littleEndian, toByteOffset: 48, as: UInt64.self)
            return p.interface
        }
        statistics.framesOut &+= 1
        events.append(.transmit(interface: InterfaceID(rawValue: interface), frame: frame))
        return id
    }

    /// Whether the route `handle` names was heard from at this very
    /// instant, the table unchanged since: then it is alive and already
    /// marked used now, all `RoutingTable.use` would check and do. A reply
    /// sent in the turn its request arrived in (a server answering at
    /// once, an acknowledgement) goes without touching the table.
    /// `known`: the heard path's route is known to be the one `handle` names.
    @inline(__always)
    func heardNow(_ handle: RouteHandle, known: Bool = false) -> Bool {
        guard let h = heardPath else { return false }
        return h.at == now && (known || h.route == handle) && table.isCurrent(handle)
    }

    /// `RoutingTable.use` of the heard path's route, when `handle` names
    /// it, made without touching the table (FLIPBox+CommonFrame.swift):
    /// the route is alive if its last use, or an earlier time the path
    /// holds, is within its lifetime. false, and nothing done, otherwise.
    @inline(__always)
    func useHeardPath(_ handle: RouteHandle, known: Bool = false) -> Bool {
        guard let h = heardPath, known || h.route == handle, table.isCurrent(handle),
              now - h.used <= table.lifetime else { return false }
        heardPath!.used = now
        heardPending = true
        return true
    }

    /// Whether flow control holds nothing for the send path's peer.
    @inline(never)
    func sendPathHasNothingQueued() -> Bool {
        guard let p = sendPath else { return false }
        return flow.nothingQueued(for: PeerKey(interface: p.interface, location: p.location))
    }

    /// Whether the send path's route may be used now, through the heard
    /// path or the table (and then marked used), as `RoutingTable.use`
    /// would answer; remembers whether the heard path's route is the send
    /// path's, for the next send.
    @inline(never)
    func sendPathRouteUsable() -> Bool {
        guard let p = sendPath else { return false }
        let usable = heardNow(p.route) || useHeardPath(p.route) || routes.use(p.route, now: now)
        sendPath!.heard = heardPath.map { $0.route == p.route } ?? false
        return usable
    }

    /// A message went out in one frame by `route`, which `handle` names:
    /// remembers how, for the next.
    func rememberSend(from: EndpointID, source: FLIPAddress, to destination: FLIPAddress, secure: Bool,
                      via route: Route, _ handle: RouteHandle) {
        // The header bytes are made as the general path makes them.
        let h = fragmentHeader(source: source, messageID: 0, secure: secure, to: destination, via: route,
                               length: 0, offset: 0, total: 0)
        var scratch = [UInt8](repeating: 0, count: EthernetFrame.minimumSize)
        EthernetFrame.storeHeaders(into: &scratch, destination: route.location, source: interfaces[route.interface].mac,
                                   control: FragmentControl(type: .data), flip: h)
        let head = scratch.withUnsafeBytes { b in
            (UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        }
        sendPath = SendPath(endpoint: from.rawValue, destination: destination, secure: secure, source: source,
                            route: handle, interface: route.interface, location: route.location, head: head)
    }
}
