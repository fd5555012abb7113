import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// A deadline for one database call. The call runs in a task of its own; when the deadline
/// passes first, that task is cancelled: a wait for a pooled connection ends at once with
/// `Expired`; a query already sent cannot be taken back, so its answer, when it comes, is the
/// caller's, success or failure (a failure then reads `Expired`).
///
/// One event-loop timer per call: a task group racing a `Task.sleep`, its first form, cost two
/// child tasks and a Dispatch timer per query (a few percent of a loadTable's CPU in a profile).
public enum DatabaseDeadline {
    public struct Expired: Error {}

    public static func run<T: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let expired = ExpiryFlag()
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? PostgresConnection.defaultEventLoopGroup.any()
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            expired.value.store(true, ordering: .relaxed)
            work.cancel()
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await work.value
            } onCancel: {
                work.cancel()
            }
        } catch {
            if expired.value.load(ordering: .relaxed) { throw Expired() }
            throw error
        }
    }
}

private final class ExpiryFlag: Sendable {
    let value = Atomic(false)
}
