import Foundation
import Synchronization

/// Failed sign-ins slow the next ones: after `freeFailures` failures from one address or for one
/// access key, each further attempt waits twice as long as the last (up to `maxLockout`).
/// Entries are forgotten after `window` without failures, and at most `maxEntries` are kept: a
/// locked entry is never dropped to make room, and while the table is full of them every
/// subject not in it waits a second (flooding it with new names cannot reset a lock).
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
    private let saturated = Mutex(false)

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds to wait before `subjects` may try again; nil when they may now.
    func wait(_ subjects: [String], now: Date = Date()) -> TimeInterval? {
        let full = saturated.withLock { $0 }
        return entries.withLock { all in
            var waits = subjects.compactMap { all[$0] }.map { $0.lockedUntil.timeIntervalSince(now) }.filter { $0 > 0 }
            if full, subjects.contains(where: { all[$0] == nil }) { waits.append(1) }
            return waits.max()
        }
    }

    func failed(_ subjects: [String], now: Date = Date()) {
        let full = entries.withLock { all -> Bool in
            let new = subjects.filter { all[$0] == nil }.count
            if all.count + new > limits.maxEntries {
                all = all.filter { now.timeIntervalSince($0.value.lastFailure) < limits.window || $0.value.lockedUntil > now }
                while all.count + new > limits.maxEntries,
                    let oldest = all.filter({ $0.value.lockedUntil <= now }).min(by: { $0.value.lastFailure < $1.value.lastFailure })
                {
                    all[oldest.key] = nil
                }
            }
            let room = all.count + new <= limits.maxEntries
            for subject in subjects where room || all[subject] != nil {
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
            return !room
        }
        saturated.withLock { $0 = full }
    }

    func succeeded(_ subjects: [String]) {
        entries.withLock { all in
            for subject in subjects { all[subject] = nil }
        }
    }
}
