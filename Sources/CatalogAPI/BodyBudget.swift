import Authentication
import Hummingbird
import HTTPTypes
import IcebergModel
import Synchronization

/// The bound on catalog request bodies held in memory: each body at most `maxBodyBytes`, the
/// bodies of one access key at most `maxPerCallerBytes`, all bodies in flight together at most
/// `maxTotalBytes`. A request reserves its share (its Content-Length, or the maximum when it
/// announces none) before a byte is read; when a budget is spent it is answered 503 at once, so
/// concurrent large bodies cannot grow the server, and one caller cannot spend everyone's share.
final class BodyBudget: Sendable {
    static let maxBodyBytes = 8 << 20
    static let maxPerCallerBytes = 16 << 20
    static let maxTotalBytes = 64 << 20
    private let budget = ByteBudget(total: maxTotalBytes)
    private let perCaller = Mutex<[String: Int]>([:])

    struct Reservation {
        let caller: String
        let bytes: Int
    }

    /// Reserves room for the request's body under `caller` (an access key id); nil for a request without one.
    func reserve(_ request: Request, for caller: String) throws(IcebergError) -> Reservation? {
        guard request.method == .post || request.method == .put else { return nil }
        var size = Self.maxBodyBytes
        if let text = request.headers[.contentLength] {
            guard let length = Int(text), length >= 0 else { throw .badRequest("Invalid Content-Length") }
            guard length <= Self.maxBodyBytes else {
                throw IcebergError(code: 413, type: "BadRequestException", message: "Request body larger than \(Self.maxBodyBytes) bytes")
            }
            size = length
        }
        guard size > 0 else { return nil }
        let granted = perCaller.withLock { shares in
            guard shares[caller, default: 0] + size <= Self.maxPerCallerBytes else { return false }
            shares[caller, default: 0] += size
            return true
        }
        guard granted else { throw .serviceUnavailable("Too many request bodies in flight for this caller; retry later") }
        guard budget.reserve(size) else {
            releaseShare(caller, size)
            throw .serviceUnavailable("Too many request bodies in flight; retry later")
        }
        return Reservation(caller: caller, bytes: size)
    }

    func release(_ reservation: Reservation) {
        budget.release(reservation.bytes)
        releaseShare(reservation.caller, reservation.bytes)
    }

    private func releaseShare(_ caller: String, _ bytes: Int) {
        perCaller.withLock { shares in
            let left = shares[caller, default: 0] - bytes
            shares[caller] = left > 0 ? left : nil
        }
    }
}
