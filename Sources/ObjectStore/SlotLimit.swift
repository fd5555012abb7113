import Synchronization

/// A fixed number of slots shared by every request of a server, for work whose total must stay
/// bounded however many connections ask for it at once: memory held behind uploads
/// (`LaggingMD5`), and pool threads given to cold reads (`BlobReader.loadIntoPageCache`).
/// Waiters are served first come, first served; a waiter that is cancelled leaves the queue and
/// holds nothing.
final class SlotLimit: Sendable {
    let slots: Int
    private struct State {
        var free: Int
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        /// Waiters given an id and not yet answered, and those of them cancelled before they
        /// were queued.
        var unanswered: Set<UInt64> = []
        var cancelledEarly: Set<UInt64> = []
    }
    private let state: Mutex<State>

    init(slots: Int) {
        precondition(slots > 0)
        self.slots = slots
        state = Mutex(State(free: slots))
    }

    /// Takes a slot if one is free.
    func tryAcquire() -> Bool {
        state.withLock { state in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
    }

    /// Takes a slot, waiting for one; false (holding none) when the task is cancelled first.
    func acquire() async -> Bool {
        if tryAcquire() { return true }
        let id = state.withLock { state in
            state.nextWaiter += 1
            state.unanswered.insert(state.nextWaiter)
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = state.withLock { state in
                    if state.cancelledEarly.remove(id) != nil {
                        state.unanswered.remove(id)
                        return false
                    }
                    if state.free > 0 {
                        state.free -= 1
                        state.unanswered.remove(id)
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    state.unanswered.remove(id)
                    return state.waiters.remove(at: index).continuation
                }
                // Not queued yet: the queueing answers it. Already answered: nothing to do.
                if state.unanswered.contains(id) { state.cancelledEarly.insert(id) }
                return nil
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a slot back: to the longest waiter, if any.
    func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.free += 1
                precondition(state.free <= slots, "a slot released twice")
                return nil
            }
            let waiter = state.waiters.removeFirst()
            state.unanswered.remove(waiter.id)
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }

    var inUse: Int { state.withLock { slots - $0.free } }
    var waiting: Int { state.withLock { $0.waiters.count } }
}

/// How many of some work run at once, and the most that ever did (tests).
final class RunningCount: Sendable {
    let running = Atomic<Int>(0)
    let peak = Atomic<Int>(0)

    func enter() {
        let now = running.add(1, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func leave() {
        running.subtract(1, ordering: .relaxed)
    }
}
