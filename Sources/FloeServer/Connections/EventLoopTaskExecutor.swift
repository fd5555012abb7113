import NIOConcurrencyHelpers
import NIOCore

/// Runs a request's task on its connection's event loop as the task's preferred executor.
///
/// NIO, installed as the global executor, runs every job as if isolated to the loop's serial
/// executor. A nonisolated async function wants the generic executor, so each call into one, and
/// each return from one, took a real switch: the task was enqueued on the loop again and resumed
/// on a later turn, about 30 times for one HEAD request. A job run here is on the generic executor
/// with this task executor preferred, so those switches cost nothing and the task still never
/// leaves the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    /// One executor per loop, made on first use and kept for the life of the process (loops live
    /// as long): a task refers to its preferred executor without owning it.
    private static let executors = NIOLockedValueBox<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    static func on(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        executors.withLockedValue { executors in
            if let known = executors[ObjectIdentifier(loop)] { return known }
            let made = EventLoopTaskExecutor(loop: loop)
            executors[ObjectIdentifier(loop)] = made
            return made
        }
    }
}
