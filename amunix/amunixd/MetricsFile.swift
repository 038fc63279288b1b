// The daemon's swift-metrics counters, written out for Prometheus.
//
// amunixd has no HTTP server, and should not grow one for this: it writes
// the Prometheus text format to a file instead, the way node_exporter's
// textfile collector expects (written to a temporary name, then renamed, so
// a scraper never reads half a file). The file is rewritten every interval
// and once more when the daemon stops.

import Foundation
import Metrics
import Prometheus
import ServiceLifecycle

struct MetricsFileService: Service {
    let registry: PrometheusCollectorRegistry
    let path: String
    let interval: Duration

    /// Bootstraps swift-metrics with a Prometheus registry (once per process).
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                write()
                try? await Task.sleep(for: interval)
            }
        } onGracefulShutdown: {}
        write()
    }

    func write() {
        var text: [UInt8] = []
        registry.emit(into: &text)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text)) else { return }
        _ = rename(temporary, path)
    }
}
