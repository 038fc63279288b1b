// What a node body hands back to whoever drives it.
//
// The node does no I/O and keeps no threads: a frame to send, a finished
// transaction and a request for a waiting server are all outputs, named by
// the owner the driver gave when it started the work. The driver drains
// them with `takeOutputs` after every call that feeds the node.

import AmoebaCore
import FLIP
import RPC

public enum NodeOutput<Owner> {
    /// A whole Ethernet frame to put on the interface's link.
    case transmit(InterfaceID, [UInt8])
    /// A `trans` finished: the reply, or the error that ended it (its
    /// deadline passed, the server crashed, no server was found).
    case transactionCompleted(Owner, Result<RPCMessage, ErrorCode>)
    /// A request arrived for the slot `owner` opened with `getreq`; the
    /// owner answers it with `putrep(slot, ...)`.
    case requestArrived(Owner, ServerSlotID, RPCMessage)
    /// An upper layer that the node drove (an event or a tick) now holds
    /// results for its own users; the driver collects them from the layer.
    case upperLayerReady(NodeUpperLayerID)
}

extension NodeOutput {
    /// The box's frame to transmit (`FLIPBox.nextEventIsTransmit` said so),
    /// moved over with no copy.
    @inlinable
    init(transmitting event: consuming FLIPEvent) {
        switch consume event {
        case .transmit(let interface, let frame): self = .transmit(interface, frame)
        default: preconditionFailure("not a frame to transmit")
        }
    }
}
