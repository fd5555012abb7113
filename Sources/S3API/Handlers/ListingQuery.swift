import ObjectStore
import S3Model
import SigV4

/// The query parameters every S3 listing shares: prefix, delimiter, page size, key marker and
/// URL encoding of the keys in the answer.
package struct ListingQuery {
    let prefix: String
    let delimiter: String?
    let maxKeys: Int
    let encodeURL: Bool
    let keyMarker: String?

    package init(_ query: RequestTarget, pageSizeName: String = "max-keys") throws {
        prefix = query.value("prefix") ?? ""
        delimiter = query.value("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        maxKeys = try S3Responder.maxKeys(query.value(pageSizeName), name: pageSizeName)
        encodeURL = try S3Responder.encodingType(query.value("encoding-type"))
        keyMarker = query.value("key-marker").flatMap { $0.isEmpty ? nil : $0 }
    }

    func encode(_ text: String) -> String { encodeURL ? URIEncoding.encode(text, keepSlash: true) : text }

    func request(after: String?) -> ListRequest {
        ListRequest(prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
    }
}

extension S3Responder {
    static func maxKeys(_ text: String?, limit: Int = 1000, name: String = "max-keys") throws -> Int {
        guard let text else { return limit }
        guard let value = Int(text), value >= 0 else {
            throw S3Error.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: text)
        }
        return min(value, limit)
    }

    static func encodingType(_ text: String?) throws -> Bool {
        switch text {
        case nil: return false
        case "url"?: return true
        case let other?: throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: other)
        }
    }
}
