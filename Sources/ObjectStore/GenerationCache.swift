import NIOCore
import Synchronization

/// Answers read from the index, each kept with the index's write stamp for what it read
/// (`WriteStamp`: the generation of the index's writes that name no bucket, and that of the
/// writes to the bucket read), and given out only while that stamp is current. A generation is
/// odd while a write may be committing and advances again before the writer is answered. An
/// answer is kept only if its read began and ended within one settled stamp, so it is what the
/// index held for as long as that stamp stands: no read is answered from before a write that
/// landed before it began. A write to one bucket leaves other buckets' answers current.
/// Entries are held within a byte budget and a count; when full, an entry chosen at random leaves
/// (not the newest). Oldest out first never found anything of a set read in turn that is larger
/// than the cache, since each entry had always just left when it was asked for again; at random,
/// such a set still finds part of itself (about a fifth at twice the cache). A newer generation of
/// the whole index drops them all; an answer of an older bucket generation stays until it leaves
/// or is replaced.
public final class GenerationCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// A kept value in a box: a lookup retains the box and copies the value out once, where an
    /// entry held inline was copied whole out of the dictionary and then again out of the copy
    /// (a cached object version is about fourteen references, each retained per copy).
    private final class Entry: Sendable {
        let value: Value
        let bytes: Int
        /// The generation of its bucket's writes it was read within.
        let bucketGeneration: UInt64

        init(_ value: Value, bytes: Int, bucketGeneration: UInt64) {
            self.value = value
            self.bytes = bytes
            self.bucketGeneration = bucketGeneration
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

    /// The value kept for `key` at `stamp`, the index's current one.
    func value(for key: Key, at stamp: WriteStamp) -> Value? {
        guard stamp.isSettled else { return nil }
        return held.withLock { held in
            guard held.generation == stamp.index, let entry = held.entries[key], entry.bucketGeneration == stamp.bucket else { return nil }
            held.hits += 1
            return entry.value
        }
    }

    /// Keeps `value`, read after `stamp` was taken and before `current` was: only if both are the
    /// same settled stamp. A value from an older generation of the index than the cache already
    /// holds is dropped; a newer one drops every value held. A value over a quarter of the budget
    /// is not kept.
    func keep(_ value: Value, bytes: Int, for key: Key, readAt stamp: WriteStamp, current: WriteStamp) {
        guard stamp == current, stamp.isSettled, bytes <= budget / 4 else { return }
        let generation = stamp.index
        // Values of an older generation are freed after the lock is let go.
        let dropped: Held? = held.withLock { held in
            if generation < held.generation { return nil }
            var dropped: Held?
            if generation > held.generation {
                dropped = held
                held = Held(generation: generation, hits: held.hits, chooser: held.chooser)
            }
            if let known = held.entries[key] {
                // Held already at this stamp (two readers missed it at once): just as current,
                // and kept as it is. One of an older bucket generation is replaced in its place
                // in the eviction order, so no keep scans the order.
                guard known.bucketGeneration < stamp.bucket else { return dropped }
                held.entries[key] = Entry(value, bytes: bytes, bucketGeneration: stamp.bucket)
                held.bytes += bytes - known.bytes
            } else {
                held.entries[key] = Entry(value, bytes: bytes, bucketGeneration: stamp.bucket)
                held.order.append(key)
                held.bytes += bytes
            }
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

/// What an answer read from the index depends on: the generation of the index's writes that name
/// no bucket, and that of the writes to the bucket it was read from (`ObjectIndex.writeStamp`).
public struct WriteStamp: Equatable, Sendable {
    public let index: UInt64
    public let bucket: UInt64

    public init(index: UInt64, bucket: UInt64) {
        self.index = index
        self.bucket = bucket
    }

    /// No write may be committing (both generations even).
    var isSettled: Bool { index.isMultiple(of: 2) && bucket.isMultiple(of: 2) }
}
