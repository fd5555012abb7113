import Console
import Foundation
import S3API
import ServiceLifecycle
import Synchronization

/// The request counters sampled every `interval`, the last `capacity` samples kept: what the
/// console's health page draws requests/s and errors/s from.
final class MetricsHistory: Service, Sendable {
    let metrics: ServerMetrics
    let interval: Duration
    let capacity: Int
    private let samples = Mutex<[HealthSample]>([])

    init(metrics: ServerMetrics, interval: Duration = .seconds(10), capacity: Int = 90) {
        self.metrics = metrics
        self.interval = interval
        self.capacity = capacity
    }

    func sample(at millis: Int64) {
        let t = metrics.totals()
        let sample = HealthSample(millis: millis, requests: t.requests, errors: t.errors, bytesIn: t.bytesIn, bytesOut: t.bytesOut)
        samples.withLock { all in
            if all.count >= capacity { all.removeFirst(all.count - capacity + 1) }
            all.append(sample)
        }
    }

    var history: [HealthSample] { samples.withLock { $0 } }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.sample(at: Int64(Date().timeIntervalSince1970 * 1000))
                try await Task.sleep(for: self.interval)
            }
        }
    }
}
