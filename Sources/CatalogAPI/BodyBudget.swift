import Hummingbird
import HTTPTypes
import IcebergModel
import NIOConcurrencyHelpers

/// The bound on catalog request bodies held in memory: each body at most `maxBodyBytes`, all
/// bodies in flight together at most `maxTotalBytes`. A request reserves its share (its
/// Content-Length, or the maximum when it announces none) before a byte is read; when the
/// budget is spent it is answered 503 at once, so concurrent large bodies cannot grow the server.
final class BodyBudget: Sendable {
    static let maxBodyBytes = 8 << 20
    static let maxTotalBytes = 64 << 20
    private let inFlight = NIOLockedValueBox(0)

    /// Reserves room for the request's body; answers the bytes reserved (0 for a request without one).
    func reserve(_ request: Request) throws(IcebergError) -> Int {
        guard request.method == .post || request.method == .put else { return 0 }
        var size = Self.maxBodyBytes
        if let text = request.headers[.contentLength] {
            guard let length = Int(text), length >= 0 else { throw .badRequest("Invalid Content-Length") }
            guard length <= Self.maxBodyBytes else {
                throw IcebergError(code: 413, type: "BadRequestException", message: "Request body larger than \(Self.maxBodyBytes) bytes")
            }
            size = length
        }
        guard size > 0 else { return 0 }
        let granted = inFlight.withLockedValue { total -> Bool in
            guard total + size <= Self.maxTotalBytes else { return false }
            total += size
            return true
        }
        guard granted else { throw .serviceUnavailable("Too many request bodies in flight; retry later") }
        return size
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        inFlight.withLockedValue { $0 -= bytes }
    }
}
