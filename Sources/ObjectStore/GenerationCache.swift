import NIOCore
import Synchronization

/// Answers read from the index, each kept with the index's write generation (`ObjectIndex`), and
/// given out only while that generation is current. The generation is odd while a write may be
/// committing and advances again before the writer is answered. An answer is kept only if its
/// read began and ended within one even generation, so it is what the index held for as long as
/// that generation stands: no read is answered from before a write that landed before it began.
/// Entries are held within a byte budget and a count; when full, an entry chosen at random leaves
/// (not the newest). Oldest out first never found anything of a set read in turn that is larger
/// than the cache, since each entry had always just left when it was asked for again; at random,
/// such a set still finds part of itself (about a fifth at twice the cache). A newer generation
/// drops them all.
public final class GenerationCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// A kept value in a box: a lookup retains the box and copies the value out once, where an
    /// entry held inline was copied whole out of the dictionary and then again out of the copy
    /// (a cached object version is about fourteen references, each retained per copy).
    private final class Entry: Sendable {
        let value: Value
        let bytes: Int

        init(_ value: Value, bytes: Int) {
            self.value = value
            self.bytes = bytes
        }
    }

    private struct Held {
        var generation: UInt64 = 0
        var entries: [Key: Entry] = [:]
        /// Every key held, for eviction: the one chosen is swapped to the front and leaves from
        /// there without moving the rest, as one does on every keep once the cache is full.
        var order = CircularBuffer<Key>()
        var bytes = 0
        var hits = 0
        /// Chooses what leaves (xorshift64; kept across generations).
        var chooser: UInt64 = 0x9E37_79B9_7F4A_7C15

        /// Takes out an entry other than the newest (the last kept), chosen at random.
        mutating func evictOne() {
            guard order.count > 1 else {
                if let only = order.popFirst() { bytes -= entries.removeValue(forKey: only)?.bytes ?? 0 }
                return
            }
            chooser ^= chooser << 13
            chooser ^= chooser >> 7
            chooser ^= chooser << 17
            let chosen = order.index(order.startIndex, offsetBy: Int(chooser % UInt64(order.count - 1)))
            order.swapAt(order.startIndex, chosen)
            let key = order.removeFirst()
            bytes -= entries.removeValue(forKey: key)?.bytes ?? 0
        }
    }

    /// The most bytes (estimated by the caller) all held values may keep alive, and the most values.
    public let budget: Int
    public let maxEntries: Int
    private let held = Mutex(Held())

    public init(budget: Int, maxEntries: Int) {
        self.budget = budget
        self.maxEntries = maxEntries
    }

    /// The value kept for `key` at `generation`, if that is still the current generation.
    func value(for key: Key, generation: UInt64) -> Value? {
        guard generation.isMultiple(of: 2) else { return nil }
        return held.withLock { held in
            guard held.generation == generation, let entry = held.entries[key] else { return nil }
            held.hits += 1
            return entry.value
        }
    }

    /// Keeps `value`, read after `generation` was taken and before `current` was: only if both are
    /// the same even value. A value from an older generation than the cache already holds is
    /// dropped; a newer generation drops every value held. A value over a quarter of the budget
    /// is not kept.
    func keep(_ value: Value, bytes: Int, for key: Key, readAt generation: UInt64, current: UInt64) {
        guard generation == current, generation.isMultiple(of: 2), bytes <= budget / 4 else { return }
        // Values of an older generation are freed after the lock is let go.
        let dropped: Held? = held.withLock { held in
            if generation < held.generation { return nil }
            var dropped: Held?
            if generation > held.generation {
                dropped = held
                held = Held(generation: generation, hits: held.hits, chooser: held.chooser)
            }
            // Held already at this generation (two readers missed it at once): just as current,
            // and kept as it is, so no keep scans the eviction order.
            if held.entries[key] != nil { return dropped }
            held.entries[key] = Entry(value, bytes: bytes)
            held.order.append(key)
            held.bytes += bytes
            while held.bytes > budget || held.order.count > maxEntries, !held.order.isEmpty { held.evictOne() }
            return dropped
        }
        _ = dropped
    }

    /// Drops every value held (they are read again when asked for).
    func removeAll() {
        let dropped: Held = held.withLock { held in
            defer { held = Held(generation: held.generation, hits: held.hits, chooser: held.chooser) }
            return held
        }
        _ = dropped  // freed after the lock is let go
    }

    /// How many reads were answered from the cache, and what it holds now.
    public var statistics: (hits: Int, bytes: Int, entries: Int) {
        held.withLock { ($0.hits, $0.bytes, $0.entries.count) }
    }
}
