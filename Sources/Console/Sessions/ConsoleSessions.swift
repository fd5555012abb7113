import Crypto
import Foundation
import SigV4
import Synchronization

/// A signed-in browser: whose keys the console signs its API calls with, and the token every
/// state-changing form must echo. Held in memory only; a restart signs everyone out.
struct ConsoleSession: Sendable {
    let id: String
    let accessKey: String
    let secretKey: String
    /// The principal's name as policies and the audit log know it.
    let principal: String
    let csrfToken: String
    let created: Date
    var lastSeen: Date
    /// A message for the next page (the outcome of an action, shown after its redirect).
    var flash: Flash? = nil
}

/// Sessions by an unguessable id (the cookie's value), with idle and absolute expiry and a cap
/// on how many exist: past it the least recently used is dropped, so sign-ins cannot exhaust memory.
final class ConsoleSessions: Sendable {
    struct Limits: Sendable {
        var idle: TimeInterval = 30 * 60
        var absolute: TimeInterval = 12 * 3600
        var maxSessions = 10_000
        /// One principal's sign-ins (any of its keys) replace its own oldest sessions past this,
        /// never other principals'.
        var maxSessionsPerPrincipal = 20
    }

    let limits: Limits
    private let sessions = Mutex<[String: ConsoleSession]>([:])

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// 32 random bytes, hex.
    static func randomToken() -> String {
        Hex.encode(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
    }

    func create(accessKey: String, secretKey: String, principal: String, now: Date = Date()) -> ConsoleSession {
        let session = ConsoleSession(
            id: Self.randomToken(), accessKey: accessKey, secretKey: secretKey, principal: principal, csrfToken: Self.randomToken(),
            created: now, lastSeen: now)
        sessions.withLock { all in
            let own = all.filter { $0.value.principal == principal }
            if own.count >= limits.maxSessionsPerPrincipal {
                for (id, _) in own.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(own.count - limits.maxSessionsPerPrincipal + 1) {
                    all[id] = nil
                }
            }
            if all.count >= limits.maxSessions {
                all = all.filter { !isExpired($0.value, now: now) }
                while all.count >= limits.maxSessions, let oldest = all.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                    all[oldest.key] = nil
                }
            }
            all[session.id] = session
        }
        return session
    }

    /// The live session for a cookie value, its idle clock restarted; expired ones are removed.
    func touch(_ id: String, now: Date = Date()) -> ConsoleSession? {
        sessions.withLock { all in
            guard var session = all[id] else { return nil }
            guard !isExpired(session, now: now) else {
                all[id] = nil
                return nil
            }
            session.lastSeen = now
            all[id] = session
            return session
        }
    }

    func remove(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    func setFlash(_ id: String, _ flash: Flash) {
        sessions.withLock { $0[id]?.flash = flash }
    }

    func takeFlash(_ id: String) -> Flash? {
        sessions.withLock { all in
            defer { all[id]?.flash = nil }
            return all[id]?.flash
        }
    }

    var count: Int { sessions.withLock { $0.count } }

    private func isExpired(_ session: ConsoleSession, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeen) > limits.idle || now.timeIntervalSince(session.created) > limits.absolute
    }

    /// Whether a submitted token is the session's (constant time).
    static func csrfMatches(_ session: ConsoleSession, _ submitted: String?) -> Bool {
        guard let submitted else { return false }
        return constantTimeEquals(session.csrfToken, submitted)
    }
}
