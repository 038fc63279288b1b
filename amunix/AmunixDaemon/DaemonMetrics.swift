// The daemon's counters, reported through swift-metrics so that whatever
// backend the host bootstraps sees them (amunixd's --metrics-file
// bootstraps Prometheus). With no backend they cost next to nothing.

import AmoebaCore
import Metrics
import RPC

final class DaemonMetrics {
    private let framesIn = Counter(label: "amunix_frames_received_total")
    private let framesOut = Counter(label: "amunix_frames_sent_total")
    private let started = Counter(label: "amunix_transactions_started_total")
    private let succeeded = Counter(label: "amunix_transactions_total", dimensions: [("result", "ok")])
    private let failed = Counter(label: "amunix_transactions_total", dimensions: [("result", "error")])
    private let programs = Gauge(label: "amunix_programs_connected")
    private let listenRetries = Counter(label: "amunix_host_server_listen_retries_total")
    private var connected = 0

    func listenRetried() { listenRetries.increment() }
    func frameReceived() { framesIn.increment() }
    func frameSent() { framesOut.increment() }
    func transactionStarted() { started.increment() }

    func transactionFinished(_ result: Result<RPCMessage, ErrorCode>) {
        switch result {
        case .success: succeeded.increment()
        case .failure: failed.increment()
        }
    }

    func connectionsAccepted(_ n: Int) {
        connected += n
        programs.record(connected)
    }

    func connectionClosed() {
        connected -= 1
        programs.record(connected)
    }
}
