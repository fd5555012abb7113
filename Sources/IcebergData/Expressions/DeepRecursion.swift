#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a recursive-descent parse on a thread of its own whose stack is sized for the parser's
/// depth limit, and waits for it.
///
/// A depth limit bounds recursion, but the stack it needs depends on frame sizes (a debug
/// build's are several times a release build's: about 5 KB per nesting level of SQL) and the
/// calling thread's stack is not the parser's choice: a Swift concurrency thread gets 2 MiB
/// where the stack limit is unlimited, 512 KiB on macOS. Only touched pages of the reserved
/// stack are ever committed.
package enum DeepRecursion {
    /// Room for 200 levels of the costliest nesting in a debug build, several times over.
    package static let stackBytes = 16 << 20

    /// `stackBytes` other than the default is for tests that stand in for a small caller's stack.
    package static func run<T>(stackBytes: Int = stackBytes, _ body: () -> T) -> T {
        var result: T?
        withoutActuallyEscaping(body) { body in
            let job = Job { result = body() }
            // Joined before `job` goes out of scope, so the thread needs no reference of its own.
            withExtendedLifetime(job) {
                if let thread = spawn(Unmanaged.passUnretained(job).toOpaque(), stackBytes: stackBytes) {
                    pthread_join(thread, nil)
                } else {
                    job.work()  // no thread to be had: recurse here
                }
            }
        }
        return result!
    }

    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    private static func spawn(_ job: UnsafeMutableRawPointer, stackBytes: Int) -> pthread_t? {
        // Allocated rather than a `var`: pthread_attr_init does the initialization.
        let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        defer { attributes.deallocate() }
        guard pthread_attr_init(attributes) == 0 else { return nil }
        defer { pthread_attr_destroy(attributes) }
        guard pthread_attr_setstacksize(attributes, stackBytes) == 0 else { return nil }
        #if canImport(Glibc)
        var thread: pthread_t = 0
        #else
        var thread: pthread_t?  // a pointer type elsewhere
        #endif
        let created = pthread_create(&thread, attributes, { job in
            Unmanaged<Job>.fromOpaque(job!).takeUnretainedValue().work()
            return nil
        }, job)
        guard created == 0 else { return nil }
        return thread
    }
}
