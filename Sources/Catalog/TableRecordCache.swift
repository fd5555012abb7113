import IcebergModel
import SigV4
import Synchronization

/// Table records a shared catalog database sent or was sent, each with the row version it was
/// at. The database stamps every write of a row with a new version from one sequence, so a row
/// still at a known version and metadata location holds the record kept here: a read asks for the
/// document only when the row moved on, instead of sending, checking and decoding it every time.
///
/// Keyed by the identifier's bytes (the database compares names bytewise; `String` equality
/// would join canonically equivalent names). Bounded by entries and by an estimate of memory;
/// when full it starts over.
public final class TableRecordCache: Sendable {
    /// Where a row stands: its version and the metadata file it points at.
    public struct Stamp: Sendable, Equatable {
        public var version: Int64
        public var metadataLocation: String

        public init(version: Int64, metadataLocation: String) {
            self.version = version
            self.metadataLocation = metadataLocation
        }
    }

    private struct Entry {
        /// Always with its `rowVersion`.
        var record: TableRecord
        var bytes: Int

        var stamp: Stamp { Stamp(version: record.rowVersion ?? -1, metadataLocation: record.metadataLocation) }
    }

    private struct State {
        var entries: [BytesKey: Entry] = [:]
        var bytes = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    private let state = Mutex(State())

    public init(maxEntries: Int = 4096, maxBytes: Int = 16 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    static func key(warehouse: String, _ identifier: TableIdentifier) -> BytesKey {
        // Each part with its length before it, so no two identifiers give the same bytes.
        var bytes: [UInt8] = []
        for part in [warehouse] + identifier.namespace + [identifier.name] {
            let count = UInt32(truncatingIfNeeded: part.utf8.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
            bytes += part.utf8
        }
        return BytesKey(bytes)
    }

    /// The stamp of the record kept for the table, to ask the database whether it still holds.
    public func stamp(warehouse: String, _ identifier: TableIdentifier) -> Stamp? {
        let key = Self.key(warehouse: warehouse, identifier)
        return state.withLock { $0.entries[key]?.stamp }
    }

    /// The record kept for the table if it is at `stamp`.
    public func record(warehouse: String, _ identifier: TableIdentifier, at stamp: Stamp) -> TableRecord? {
        let key = Self.key(warehouse: warehouse, identifier)
        return state.withLock { state in
            guard let entry = state.entries[key], entry.stamp == stamp else { return nil }
            return entry.record
        }
    }

    /// The last record kept for the table, whatever the row holds now.
    public func latest(warehouse: String, _ identifier: TableIdentifier) -> TableRecord? {
        let key = Self.key(warehouse: warehouse, identifier)
        return state.withLock { $0.entries[key]?.record }
    }

    /// A record as read from the database, at its `rowVersion` (a record without one is not kept).
    public func keep(read record: TableRecord, warehouse: String) {
        guard record.rowVersion != nil else { return }
        store(record, warehouse: warehouse)
    }

    /// A record just written at `version`. Kept only when reading its text back would give it
    /// value for value (see `StoredDocuments.remember`): the next read must not differ from it.
    public func keep(written record: TableRecord, warehouse: String, version: Int64) {
        guard record.storedText != nil, record.metadata.document.readsBack() else {
            forget(warehouse: warehouse, record.identifier)
            return
        }
        var record = record
        record.rowVersion = version
        store(record, warehouse: warehouse)
    }

    public func forget(warehouse: String, _ identifier: TableIdentifier) {
        let key = Self.key(warehouse: warehouse, identifier)
        // What is dropped is freed after the lock is let go.
        let dropped = state.withLock { state -> Entry? in
            guard let entry = state.entries.removeValue(forKey: key) else { return nil }
            state.bytes -= entry.bytes
            return entry
        }
        _ = dropped
    }

    private func store(_ record: TableRecord, warehouse: String) {
        let key = Self.key(warehouse: warehouse, record.identifier)
        let bytes = key.bytes.count + 2 * record.metadataLocation.utf8.count + (record.storedText?.utf8.count ?? 0)
            + record.metadata.document.retainedBytes + 256
        guard bytes <= maxBytes / 16 else {
            forget(warehouse: warehouse, record.identifier)
            return
        }
        let entry = Entry(record: record, bytes: bytes)
        // What is dropped is freed after the lock is let go.
        let dropped = state.withLock { state -> [BytesKey: Entry] in
            var dropped: [BytesKey: Entry] = [:]
            let replaced = state.entries[key]?.bytes
            let count = state.entries.count + (replaced == nil ? 1 : 0)
            if count > maxEntries || state.bytes - (replaced ?? 0) + bytes > maxBytes {
                dropped = state.entries
                state = State()
            }
            if let old = state.entries.updateValue(entry, forKey: key) { state.bytes -= old.bytes }
            state.bytes += bytes
            return dropped
        }
        _ = dropped
    }

    /// The memory the kept records are estimated to hold.
    var estimatedBytes: Int { state.withLock { $0.bytes } }
    var count: Int { state.withLock { $0.entries.count } }
}
