#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared library opened once for the life of the process (never closed), to resolve C entry points from.
struct DynamicLibrary: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    /// Opens the first of `names` that loads (versioned sonames, so no -dev package is needed).
    static func open(_ names: [String]) -> DynamicLibrary? {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return DynamicLibrary(handle: handle) }
        }
        return nil
    }

    /// `T` must be the `@convention(c)` function type matching the symbol's C prototype.
    func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
}

extension UnsafePointer<CChar> {
    var string: String { String(cString: self) }
}
