import Foundation
import IcebergModel
import ObjectStore
import SigV4
import Synchronization

/// The metadata documents stores keep, parsed once per distinct text. A table's document changes
/// only when it is committed, and loadTable, which reads it, runs far more often; JSON decoding
/// was a third of a loadTable's CPU. Keyed by the text's bytes (String keys would equate
/// canonically equivalent texts), so a hit is the same document byte for byte. Bounded by entries
/// and by memory, each entry charged for its text and an estimate of its parsed tree (which for a
/// text of many small containers is twenty and more times the text); when full it starts over.
public enum StoredDocuments {
    static let maxEntries = 4096
    static let maxBytes = 32 << 20
    private struct State {
        var documents: [BytesKey: JSONValue] = [:]
        var bytes = 0
    }
    private static let state = Mutex(State())

    public static func parse(_ text: String) throws -> JSONValue {
        let key = BytesKey(utf8: text)
        if let known = state.withLock({ $0.documents[key] }) { return known }
        let document = try JSONValue(parsing: key.bytes)
        store(document, key)
        return document
    }

    /// A document just written as `text`, which must be `document.text()`, so that reading the text back
    /// costs no parse: every commit's document is read by the next commit. Only a document with
    /// no double in it is kept, for then its parse is equal to it, value for value (a whole
    /// double would come back as an integer).
    static func remember(_ text: String, as document: JSONValue) {
        guard document.readsBack() else { return }
        store(document, BytesKey(utf8: text))
    }

    private static func store(_ document: JSONValue, _ key: BytesKey) {
        let size = key.bytes.count + document.retainedBytes
        guard size <= maxBytes / 16 else { return }
        state.withLock { state in
            if state.documents.count >= maxEntries || state.bytes + size > maxBytes { state = State() }
            if state.documents.updateValue(document, forKey: key) == nil { state.bytes += size }
        }
    }

    static func cached(_ text: String) -> JSONValue? {
        state.withLock { $0.documents[BytesKey(utf8: text)] }
    }
}

extension JSONValue {
    /// About what the parsed tree holds in memory: a value's inline slot, plus the heap storage of
    /// long strings, arrays and dictionaries (their headers, slots and keys).
    var retainedBytes: Int {
        switch self {
        case .string(let text): return 16 + HeapEstimate.bytes(of: text)
        case .array(let values): return 16 + 32 + values.reduce(0) { $0 + $1.retainedBytes }
        case .object(let members):
            return 16 + 64 + members.reduce(0) { $0 + 48 + HeapEstimate.bytes(of: $1.key) + $1.value.retainedBytes }
        default: return 16
        }
    }

    /// Whether parsing this document's text gives it back, value for value, in one walk: no
    /// double in it (a whole double comes back as an integer), nested no deeper than the parser reads.
    func readsBack(depthLeft: Int = JSONValue.maxDepth) -> Bool {
        guard depthLeft >= 0 else { return false }
        switch self {
        case .double: return false
        case .array(let values): return values.allSatisfy { $0.readsBack(depthLeft: depthLeft - 1) }
        case .object(let members): return members.values.allSatisfy { $0.readsBack(depthLeft: depthLeft - 1) }
        default: return true
        }
    }
}
