// Frames handed straight to one RPC machine, as its box delivers them: the
// server-side suites that drive a machine by hand (its tables, its ledger)
// share these, so a change to how a delivery is made is made once.

import AmoebaCore
import FLIP
@testable import RPC
import TestSupport

extension RPCNode {
    /// The address client `n` sends from, and the kernel id it carries.
    static func handFedClient(_ n: UInt64) -> FLIPAddress { Forgery.address(0xC000 + n) }
    static func handFedKid(_ n: UInt64) -> KernelID { Forgery.address(0xD000 + n) }

    /// `amp` (and `body`) arriving from `source`.
    func handFeed(_ amp: AmpHeader, body: RPCMessage? = nil, from source: FLIPAddress, now: Instant) {
        let bytes = body.map { $0.encoded(after: amp) } ?? amp.encoded()
        handle(.deliver(FLIPDelivery(endpoint: endpoint, source: source, destination: address,
                                     message: bytes, isMulticast: false)), now: now)
    }

    /// A request from client `n` for `getPort`'s put-port.
    func handFeedRequest(for getPort: Port, client n: UInt64, tid: UInt32, now: Instant, retransmission: Bool = false) {
        let put = getPort.putPort
        let amp = AmpHeader(kid: RPCNode.handFedKid(n), port: put, type: .request,
                            flags: retransmission ? .retransmission : [], tid: tid, dest: 10, from: 7)
        handFeed(amp, body: RPCMessage(header: Header(port: put, command: 1)), from: RPCNode.handFedClient(n), now: now)
    }
}
