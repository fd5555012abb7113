import Foundation
import Synchronization

/// Failed sign-ins slow the next ones: after `freeFailures` failures from one address or for one
/// access key, each further attempt waits twice as long as the last (up to `maxLockout`).
/// Entries are forgotten after `window` without failures, and at most `maxEntries` are kept.
final class SignInThrottle: Sendable {
    struct Limits: Sendable {
        var freeFailures = 5
        var maxLockout: TimeInterval = 15 * 60
        var window: TimeInterval = 15 * 60
        var maxEntries = 10_000
    }

    struct Entry: Sendable {
        var failures: Int
        var lastFailure: Date
        var lockedUntil: Date
    }

    let limits: Limits
    private let entries = Mutex<[String: Entry]>([:])

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds to wait before `subjects` may try again; nil when they may now.
    func wait(_ subjects: [String], now: Date = Date()) -> TimeInterval? {
        entries.withLock { all in
            let waits = subjects.compactMap { all[$0] }.map { $0.lockedUntil.timeIntervalSince(now) }.filter { $0 > 0 }
            return waits.max()
        }
    }

    func failed(_ subjects: [String], now: Date = Date()) {
        entries.withLock { all in
            if all.count + subjects.count > limits.maxEntries {
                all = all.filter { now.timeIntervalSince($0.value.lastFailure) < limits.window }
                while all.count + subjects.count > limits.maxEntries, let oldest = all.min(by: { $0.value.lastFailure < $1.value.lastFailure }) {
                    all[oldest.key] = nil
                }
            }
            for subject in subjects {
                var entry = all[subject] ?? Entry(failures: 0, lastFailure: now, lockedUntil: now)
                if now.timeIntervalSince(entry.lastFailure) >= limits.window { entry.failures = 0 }
                entry.failures += 1
                entry.lastFailure = now
                if entry.failures > limits.freeFailures {
                    let exponent = min(entry.failures - limits.freeFailures - 1, 20)
                    entry.lockedUntil = now.addingTimeInterval(min(limits.maxLockout, pow(2, Double(exponent))))
                }
                all[subject] = entry
            }
        }
    }

    func succeeded(_ subjects: [String]) {
        entries.withLock { all in
            for subject in subjects { all[subject] = nil }
        }
    }
}
