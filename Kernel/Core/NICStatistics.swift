// What a network interface counts, so that no frame goes missing without a
// number saying where: every frame the device delivered is either received
// or counted as dropped, every frame offered for sending is either
// transmitted or refused, and the times the receive ring ran out of
// buffers (when the device must hold back or lose frames) are counted too.
// The text is the sys KSTAT "n" report.

public struct NICStatistics: Equatable, Sendable {
    /// Frames handed to the caller of receiveAll.
    public var received: UInt64 = 0
    /// Frames the device delivered that could not be passed on (shorter than
    /// an Ethernet header, or longer than a receive buffer).
    public var rxDropped: UInt64 = 0
    /// Times every receive buffer was found full: the device had nowhere to
    /// put the next frame and held it back (or its backend dropped it).
    public var rxRingFull: UInt64 = 0
    /// Frames queued for sending.
    public var transmitted: UInt64 = 0
    /// Frames refused because every transmit slot was in flight.
    public var txFull: UInt64 = 0
    /// Frames refused because they do not fit in a transmit buffer.
    public var txTooLong: UInt64 = 0
    /// Interrupts this device raised (claimed on its possibly shared line).
    public var interrupts: UInt64 = 0
    /// Notifications the driver sent to the device (kicks it did not skip).
    public var notifications: UInt64 = 0

    public init() {}

    public var text: String {
        "received \(received), rx dropped \(rxDropped), rx ring full \(rxRingFull)\n"
            + "transmitted \(transmitted), tx full \(txFull), tx too long \(txTooLong)\n"
            + "interrupts \(interrupts), notifications \(notifications)\n"
    }
}
