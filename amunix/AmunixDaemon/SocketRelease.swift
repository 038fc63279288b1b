// Letting go of packet sockets without waiting for the kernel to.
//
// Closing the last descriptor of a packet socket waits in the kernel for
// an RCU grace period (packet_release calls synchronize_net), and a
// socket with a transmit ring waits for a second one as the ring comes
// down: 8 to 16 ms each on this machine, whether the program closes the
// socket or exits with it open. An endpoint has two such sockets, so a
// program with a FLIP endpoint of its own (put --link, get --link)
// spent ~25 ms of every run waiting for its sockets to die, more than a
// small put does in all its transactions.
//
// Nothing in that wait is the program's: once its last frame has left,
// the socket's end matters to nobody. So the endpoint hands its sockets to
// a process of its own making (amx_close_detached in CBatchIO's shim),
// which holds the last reference while the program closes its copies and
// goes on, and whose exit then takes the grace periods. That process is
// adopted by init at once (it is a grandchild), runs only system calls,
// and holds nothing but those sockets; where it cannot be started the
// sockets are closed here, as before.

import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

enum SocketRelease {
    /// Closes `descriptors` (at most 8) here, leaving the kernel's last
    /// release of each to a process of its own; closes them directly when
    /// none can be started.
    static func detached(_ descriptors: [Int32]) {
        guard !descriptors.isEmpty else { return }
        if !start(descriptors, gate: nil) {
            for d in descriptors { Glibc.close(d) }
        }
    }

    /// As `detached`, but the other process lets go only when the caller
    /// closes the descriptor returned (nil: nothing was started and
    /// `descriptors` are still the caller's). For tests: it shows the
    /// last reference is held elsewhere, and for how long.
    static func handOver(_ descriptors: [Int32]) -> Int32? {
        var gate: Int32 = -1
        return start(descriptors, gate: &gate) ? gate : nil
    }

    private static func start(_ descriptors: [Int32], gate: UnsafeMutablePointer<Int32>?) -> Bool {
        descriptors.withUnsafeBufferPointer {
            amx_close_detached($0.baseAddress, Int32($0.count), gate) == 0
        }
    }
}
