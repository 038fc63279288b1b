// Withdrawing a message the sender no longer wants delivered.
//
// RPC retransmits whole messages. When a large request is stalled behind
// flow control (credit lost with dropped frames), a retransmission would
// queue a second full copy behind the first, and every timeout another:
// the queue grows while the link recovers. Cancelling the superseded copy
// first keeps at most one copy of each message in the box. Frames already
// on the wire are not recalled; only what still waits is dropped.

import AmoebaCore

extension FLIPBox {
    /// Drops whatever of message `messageID`, sent by `endpoint`, still
    /// waits in this box: for a locate, or for flow-control credit.
    public func cancel(messageID: UInt32, from endpoint: EndpointID) {
        guard let source = endpoints.publicAddress(of: endpoint.rawValue) else { return }
        for destination in locator.order {
            locator.pending[destination]?.waiting.removeAll {
                $0.messageID == messageID && $0.endpoint == endpoint
            }
        }
        flow.cancel(messageID: messageID, source: source)
    }
}

extension FlowControl {
    mutating func cancel(messageID: UInt32, source: FLIPAddress) {
        for s in 0..<peers.count where peers.values[s].queued > 0 {
            let before = peers.values[s].queued
            let kept = peers.values[s].queue[peers.values[s].queueHead...].filter {
                !($0.header.messageID == messageID && $0.header.source == source)
            }
            guard kept.count != before else { continue }
            peers.values[s].queue = Array(kept)
            peers.values[s].queueHead = 0
        }
    }
}
