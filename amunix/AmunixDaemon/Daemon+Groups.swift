// Group members hosted for programs: the daemon side of the grp_* calls.
//
// A program's grp_create or grp_join puts a GroupMember on the node beside
// RPC; the program names it by the id the daemon answers with. The
// member's outcomes (joined, ordered, left, reset) answer the calls that
// wait for them; grp_receive calls wait in line and take the ordered
// messages as they come, at the program's pace, which is what holds the
// group's senders back when a program reads slowly. A member told that
// the group needs a reset answers the next grp_receive with BC_ABORT, as
// Amoeba's grp_receive does. When a program goes away without grp_leave,
// its members multicast DEAD, as Amoeba's kernel does for a killed
// process, so the others reset at once instead of waiting for liveness.

import AmoebaCore
import Amunix
import FLIP
import Group
import Node

/// One member hosted for a program, and the program's calls waiting on it.
final class HostedGroup {
    let id: UInt16
    let connection: Int
    let member: GroupMember
    /// The member's place on the node, until it is done.
    var layer: NodeUpperLayerID?
    var joinCall: UInt32?
    var leaveCall: UInt32?
    var leaveID: GroupMessageID?
    var resetCall: UInt32?
    var sendCalls: [GroupMessageID: UInt32] = [:]
    /// grp_receive calls, oldest first.
    var receiveCalls: [UInt32] = []
    /// The group stopped and no grp_receive has been told yet.
    var abortOwed = false

    init(id: UInt16, connection: Int, member: GroupMember) {
        self.id = id
        self.connection = connection
        self.member = member
    }
}

/// The daemon's hosted members by id.
final class HostedGroups {
    /// Members one program may have at once, and all programs together:
    /// each holds a history of messages, and an id is 16 bits. Past either
    /// a create or join is refused with STD_NOSPACE.
    static let perProgram = 16
    static let total = 1024
    /// grp_send and grp_receive calls one member may have waiting: a
    /// program that piles more gets STD_NOSPACE for the excess.
    static let waitingCalls = 64

    var byID: [UInt16: HostedGroup] = [:]
    private var nextID: UInt16 = 0

    /// Whether `connection` may have one more member.
    func hasRoom(for connection: Int) -> Bool {
        guard byID.count < HostedGroups.total else { return false }
        var mine = 0
        for g in byID.values where g.connection == connection { mine += 1 }
        return mine < HostedGroups.perProgram
    }

    func add(connection: Int, member: GroupMember) -> HostedGroup {
        while byID[nextID] != nil { nextID &+= 1 }
        let g = HostedGroup(id: nextID, connection: connection, member: member)
        byID[nextID] = g
        nextID &+= 1
        return g
    }
}

extension Daemon {
    func handleGroup(_ call: UInt32, _ g: GroupCall, from conn: LocalConnection, now: Instant) {
        func answer(_ a: GroupAnswer) { local.send(.groupAnswer(call: call, a), to: conn) }
        func mine(_ id: UInt16) -> HostedGroup? {
            guard let h = groups.byID[id], h.connection == conn.id else {
                answer(.status(Int32(ErrorCode.bcNoExist.rawValue)))
                return nil
            }
            return h
        }
        switch g {
        case .create, .join:
            guard groups.hasRoom(for: conn.id) else {
                answer(.status(Int32(ErrorCode.noSpace.rawValue)))
                return
            }
        default:
            break
        }
        switch g {
        case .create(let port, let p):
            guard !port.isNull, p.maxGroup > 1, p.resilience < 32, p.logHistory >= 4, p.logMessageSize >= 10 else {
                answer(.status(Int32(ErrorCode.argumentBad.rawValue)))
                return
            }
            var c = groupConfiguration
            c.resilience = p.resilience
            c.maxGroup = p.maxGroup
            c.logHistory = p.logHistory
            c.logMessageSize = p.logMessageSize
            let m = GroupMember.create(box: node.box, port: port, configuration: c, rpcAddress: node.address, using: &random)
            let h = groups.add(connection: conn.id, member: m)
            h.layer = node.add(upperLayer: m)
            answer(.status(Int32(h.id)))
        case .join(let header):
            guard !header.port.isNull else {
                answer(.status(Int32(ErrorCode.argumentBad.rawValue)))
                return
            }
            let m = GroupMember.join(box: node.box, header: header, configuration: groupConfiguration,
                                     rpcAddress: node.address, using: &random, now: now)
            let h = groups.add(connection: conn.id, member: m)
            h.layer = node.add(upperLayer: m)
            h.joinCall = call
        case .leave(let id, let header):
            guard let h = mine(id) else { return }
            h.leaveCall = call
            h.leaveID = h.member.leave(header, now: now)
        case .send(let id, let header, let data):
            guard let h = mine(id) else { return }
            guard h.sendCalls.count < HostedGroups.waitingCalls else {
                answer(.status(Int32(ErrorCode.noSpace.rawValue)))
                return
            }
            h.sendCalls[h.member.send(header, data, now: now)] = call
        case .receive(let id):
            guard let h = mine(id) else { return }
            guard h.receiveCalls.count < HostedGroups.waitingCalls else {
                answer(.status(Int32(ErrorCode.noSpace.rawValue)))
                return
            }
            h.receiveCalls.append(call)
        case .reset(let id, let minimum, let header):
            guard let h = mine(id) else { return }
            h.resetCall = call
            h.member.reset(header, minimum: Int(minimum), now: now, using: &random)
        case .info(let id):
            guard let h = mine(id) else { return }
            let i = h.member.info
            answer(.info(GroupState(expect: i.expect.rawValue, me: i.me.rawValue, sequencer: i.sequencer.rawValue,
                                    members: i.members.map { $0.rawValue })))
        }
        serviceGroups(now: now)
    }

    /// Hands every member's outcomes and ordered messages to the calls
    /// that wait for them.
    func serviceGroups(now: Instant) {
        for h in groups.byID.values {
            guard let conn = local.connections[h.connection] else { continue }
            func answer(_ call: UInt32?, _ a: GroupAnswer) {
                if let call { local.send(.groupAnswer(call: call, a), to: conn) }
            }
            for e in h.member.takeEvents() {
                switch e {
                case .joined:
                    answer(h.joinCall, .status(Int32(h.id)))
                    h.joinCall = nil
                case .joinFailed(let c):
                    answer(h.joinCall, .status(Int32(c.rawValue)))
                    h.joinCall = nil
                    retire(h)
                    groups.byID[h.id] = nil
                case .sent(let id, _):
                    answer(h.sendCalls.removeValue(forKey: id), .status(0))
                case .sendFailed(let id, let c):
                    if id == h.leaveID {
                        answer(h.leaveCall, .status(Int32(c.rawValue)))
                        h.leaveCall = nil
                        h.leaveID = nil
                    } else {
                        answer(h.sendCalls.removeValue(forKey: id), .status(Int32(c.rawValue)))
                    }
                case .left:
                    answer(h.leaveCall, .status(0))
                    h.leaveCall = nil
                    // What is unread stays readable; the node is done with it.
                    retire(h)
                case .resetNeeded:
                    h.abortOwed = true
                case .reset(let total):
                    answer(h.resetCall, .status(Int32(total)))
                    h.resetCall = nil
                case .resetFailed(let c):
                    answer(h.resetCall, .status(Int32(c.rawValue)))
                    h.resetCall = nil
                }
            }
            while let call = h.receiveCalls.first {
                if let d = h.member.receive(now: now) {
                    let kind: GroupMessageKind
                    switch d.kind {
                    case .message: kind = .message
                    case .join: kind = .join
                    case .leave: kind = .leave
                    case .reset: kind = .reset
                    }
                    answer(call, .message(GroupMessage(sequence: d.sequence.rawValue, kind: kind, sender: d.sender.rawValue,
                                                       more: UInt32(h.member.unreadCount), header: d.header, data: d.data)))
                } else if h.abortOwed {
                    h.abortOwed = false
                    answer(call, .status(Int32(ErrorCode.bcAbort.rawValue)))
                } else {
                    break
                }
                h.receiveCalls.removeFirst()
            }
        }
    }

    /// A program went away: its members tell their groups they are dead.
    func dropGroups(of connection: Int, now: Instant) {
        for h in groups.byID.values where h.connection == connection {
            h.member.abandon(now: now)
            retire(h)
            groups.byID[h.id] = nil
        }
    }

    /// Takes a finished member off the node.
    func retire(_ h: HostedGroup) {
        if let l = h.layer { node.remove(upperLayer: l) }
        h.layer = nil
    }
}
