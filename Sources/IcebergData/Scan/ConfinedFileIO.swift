/// A table's files read only below the table's location. A manifest is written by whoever may
/// commit to the table; without this, one naming another table's files would have them read with
/// the credentials of whoever reads this table (and the server's own, on the server).
public struct ConfinedFileIO: TableFileIO {
    let base: any TableFileIO
    let location: String

    public init(_ base: any TableFileIO, location: String) {
        self.base = base
        self.location = location
    }

    /// Whether `path` lies below `location`: same bucket and prefix (s3, s3a and s3n alike), whole
    /// path segments, no empty, `.` or `..` segment that a reader elsewhere might resolve away.
    public static func contains(_ location: String, _ path: String) -> Bool {
        func strip(_ text: String) -> Substring? {
            for scheme in ["s3://", "s3a://", "s3n://"] where text.hasPrefix(scheme) { return text.dropFirst(scheme.count) }
            return nil
        }
        guard var root = strip(location), let target = strip(path) else { return false }
        while root.hasSuffix("/") { root = root.dropLast() }
        guard !root.isEmpty, target.hasPrefix(root + "/") else { return false }
        let rest = target.dropFirst(root.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        return !rest.isEmpty && !rest.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    func check(_ path: String) throws {
        guard Self.contains(location, path) else {
            throw IcebergDataError.invalid("\(path) is outside the table's location \(location): not read")
        }
    }

    public func read(_ path: String) async throws -> [UInt8] {
        try check(path)
        return try await base.read(path)
    }

    public func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        try check(path)
        return try await base.read(path, range: range)
    }

    public func size(_ path: String) async throws -> Int64 {
        try check(path)
        return try await base.size(path)
    }
}
