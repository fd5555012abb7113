import Foundation
import IcebergModel
import SigV4
import Synchronization

/// The metadata documents stores keep, parsed once per distinct text. A table's document changes
/// only when it is committed, and loadTable, which reads it, runs far more often; JSON decoding
/// was a third of a loadTable's CPU. Keyed by the text's bytes (String keys would equate
/// canonically equivalent texts), so a hit is the same document byte for byte. Bounded by entries and by memory (a parsed tree is charged at four times its
/// text, which it stays under for metadata documents); when full it starts over.
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
        let size = key.bytes.count * 4
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
