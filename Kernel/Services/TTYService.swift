// `tty:00` in the running kernel: the console's output, and its input.
//
// Output is written as it comes (polled, as the rest of the console).
// Input arrives by COM1's receive interrupt (IRQ 4): the handler moves
// every byte the UART holds into the tty server's ring and wakes the
// input thread. It never answers a reader itself, since answering is a
// transaction step that belongs in a thread.
//
// A read that must wait for input does not hold the server's thread: the
// server thread parks the request (its transaction record) in a queue and
// goes back to getreq, so writes, std_info and non-blocking reads are
// served while readers wait. The input thread answers the queue in order
// whenever input arrives. A reader whose process ends while it waits is
// noticed by its record (its client stopped waiting) and dropped without
// an answer and without taking any input; the input thread looks for such
// readers every quarter second while any wait, so a dead reader holds
// nothing for long. The queue is bounded: past `maximumReaders` live
// readers, one more is refused with STD_NOSPACE.
import AmoebaCore
import KernelCore
import NodeServers

enum TTYService {
    static var server: TTYServer? = nil
    /// Reads waiting for input, oldest first.
    static var readers: [Transaction] = []
    static let maximumReaders = 16
    /// How often the input thread looks for readers that are gone.
    static let pruneInterval: Interval = .milliseconds(250)
    private static var inputThread: KThread? = nil
    /// Set by the interrupt: bytes came in since the input thread last looked.
    private static var inputArrived = false
    /// Readers dropped because their client stopped waiting.
    static var readersAbandoned = 0
    /// Reads refused because the queue was full.
    static var readersRefused = 0

    static let irq = 4

    static func start(in directory: NodeDirectory, identity: ServiceIdentity) {
        let tty = TTYServer(identity: identity, name: "tty:00") { bytes in
            for b in bytes { Serial.write(b) }
        }
        server = tty
        try? directory.add("tty:00", tty.identity.capability)
        LocalIPC.serveTransactions("tty:00", getPort: tty.identity.getPort) { t in serve(t, tty) }
        inputThread = Scheduler.spawn("tty:00 input", priority: Priority(process: .high)) { inputLoop(tty) }
        Interrupts.register(line: irq) { receive(tty) }
        Serial.enableReceiveInterrupt()
        // Bytes typed before the interrupt was on wait in the UART.
        Interrupts.withDisabled { _ = receive(tty) }
    }

    /// The interrupt: everything the UART holds goes into the ring.
    private static func receive(_ tty: TTYServer) -> Bool {
        var any = false
        while let b = Serial.read() {
            tty.receive(b)
            any = true
        }
        if any {
            inputArrived = true
            if let t = inputThread { Scheduler.wake(t) }
        }
        return any
    }

    /// The server thread: answers at once, or parks a read that must wait.
    private static func serve(_ t: Transaction, _ tty: TTYServer) {
        // Anything but a read (a write above all: polled output, byte by
        // byte) runs with interrupts on, as it always did.
        guard t.request.header.command == TTYCommand.read else {
            LocalIPC.putReply(t, tty.handle(t.request))
            return
        }
        let answer: TTYAnswer = Interrupts.withDisabled {
            dropAbandoned()
            return tty.serve(t.request, othersWaiting: !readers.isEmpty)
        }
        switch answer {
        case .reply(let reply):
            LocalIPC.putReply(t, reply)
        case .wait:
            let parked: Bool = Interrupts.withDisabled {
                guard readers.count < maximumReaders else { return false }
                readers.append(t)
                tty.readersWaiting = readers.count
                // It may have arrived between the decision and now; and the
                // input thread must start its look-outs for dead readers.
                if let i = inputThread { Scheduler.wake(i) }
                return true
            }
            if !parked {
                readersRefused += 1
                LocalIPC.putReply(t, .status(.noSpace))
            }
        }
    }

    /// The input thread: answers waiting readers while there is input, and
    /// drops the ones that are gone.
    private static func inputLoop(_ tty: TTYServer) -> Never {
        while true {
            var answered: [(Transaction, Message)] = []
            Interrupts.withDisabled {
                inputArrived = false
                dropAbandoned()
                while let first = readers.first, let reply = tty.answer(first.request) {
                    readers.removeFirst()
                    answered.append((first, reply))
                }
                tty.readersWaiting = readers.count
            }
            for (t, reply) in answered { LocalIPC.putReply(t, reply) }
            Interrupts.withDisabled {
                guard !inputArrived else { return }
                let me = Scheduler.current!
                // No timer at all while nobody waits: an idle node stays tickless.
                _ = Waiting.block(me, timeout: readers.isEmpty ? nil : pruneInterval)
            }
        }
    }

    /// Takes out readers whose client stopped waiting (its process ended).
    /// A network reader cannot be told apart from a live one; it waits like
    /// any other (Interrupts off).
    private static func dropAbandoned() {
        let before = readers.count
        readers.removeAll { $0.slot == nil && !$0.waiting }
        readersAbandoned += before - readers.count
        server?.readersWaiting = readers.count
    }
}
