import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

/// One end of a transfer.
enum Place {
    case local(String)
    case remote(S3Client, alias: String, bucket: String, key: String)

    var display: String {
        switch self {
        case .local(let path): return path
        case .remote(_, let alias, let bucket, let key): return "\(alias)/\(bucket)/\(key)"
        }
    }
}

/// A file or object to copy and where it goes.
struct Job {
    var from: Place
    var to: Place
    var size: Int64
    var versionID: String?
}

/// What `cp`, `mv` and `mirror` share: finding sources, naming targets, running transfers (four at a time).
struct Transfers {
    let session: Session
    let attributes: [(name: String, value: String)]
    let contentType: String?

    /// The files or objects a source names, each with its name relative to the copy's root.
    func sources(_ text: String, recursive: Bool, versionID: String?) async throws -> [(place: Place, relative: String, size: Int64)] {
        switch session.location(text) {
        case .local(let raw):
            let path = NSString(string: raw).expandingTildeInPath
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIError("\(raw): no such file or directory", hint: nil)
            }
            guard isDirectory.boolValue else { return [(.local(path), Location.baseName(path), Self.size(path))] }
            guard recursive else { throw CLIError("\(raw) is a directory", hint: "add --recursive to copy what it holds") }
            let root = CopyPlan.relativeRoot(ofSource: raw)
            return Self.localFiles(path).map { (.local(CopyPlan.join(path, $0.relative)), root + $0.relative, $0.size) }
        case .remote(let alias, let bucket, let key):
            guard let bucket else { throw CLIError("\"\(text)\" names no bucket", hint: "write ALIAS/BUCKET[/KEY]") }
            let client = try session.s3(alias)
            if !recursive {
                guard !key.isEmpty else { throw CLIError("\"\(text)\" is a bucket", hint: "add --recursive to copy what it holds") }
                do {
                    let head = try await client.head(bucket: bucket, key: key, versionID: versionID)
                    return [(.remote(client, alias: alias, bucket: bucket, key: key), Location.baseName(key), head.size)]
                } catch let error as ClientError where error.status == 404 {
                    throw CLIError("\(text): no such object", hint: "if it is a prefix, add --recursive")
                }
            }
            let prefix = key.isEmpty || key.hasSuffix("/") ? key : key + "/"
            let root = key.isEmpty ? "" : CopyPlan.relativeRoot(ofSource: key)
            var found: [(Place, String, Int64)] = []
            try await session.eachObject(client, bucket: bucket, prefix: prefix) { object in
                found.append((.remote(client, alias: alias, bucket: bucket, key: object.key), root + String(object.key.dropFirst(prefix.count)), object.size))
            }
            return found
        }
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Regular files below a directory, relative paths with `/`.
    static func localFiles(_ directory: String) -> [(relative: String, size: Int64, modified: Date?)] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [(String, Int64, Date?)] = []
        while let relative = walker.nextObject() as? String {
            guard walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular, !relative.contains(".floe-partial-") else { continue }
            files.append((relative, (walker.fileAttributes?[.size] as? NSNumber)?.int64Value ?? 0, walker.fileAttributes?[.modificationDate] as? Date))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// The place a target names, and whether it is a container (bucket, prefix, directory).
    func target(_ text: String, forceContainer: Bool) throws -> (place: Place, isContainer: Bool) {
        switch session.location(text) {
        case .local(let raw):
            let path = NSString(string: raw).expandingTildeInPath
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            return (.local(path), forceContainer || raw.hasSuffix("/") || (exists && isDirectory.boolValue))
        case .remote(let alias, let bucket, let key):
            guard let bucket else { throw CLIError("\"\(text)\" names no bucket", hint: "write ALIAS/BUCKET[/KEY]") }
            return (.remote(try session.s3(alias), alias: alias, bucket: bucket, key: key), forceContainer || key.isEmpty || key.hasSuffix("/"))
        }
    }

    /// Reports an object that a local copy skips because its key would leave the target directory.
    static func warnOutside(_ name: String) {
        FileHandle.standardError.write(Data("floe: skipping \"\(name)\": its key would be written outside the target directory\n".utf8))
    }

    /// Where a file or object with this relative name lands at `target`.
    static func place(_ target: Place, _ relative: String, isContainer: Bool = true) -> Place {
        switch target {
        case .local(let path):
            return .local(CopyPlan.destination(relative: relative, target: path, targetIsContainer: isContainer))
        case .remote(let client, let alias, let bucket, let key):
            return .remote(client, alias: alias, bucket: bucket, key: CopyPlan.destination(relative: relative, target: key, targetIsContainer: isContainer))
        }
    }

    static func perform(_ job: Job, attributes: [(name: String, value: String)], contentType: String?, progress: TransferProgress?) async throws {
        switch (job.from, job.to) {
        case (.local(let file), .remote(let client, _, let bucket, let key)):
            var headers = attributes
            if !headers.contains(where: { $0.name == "content-type" }) { headers.append(("content-type", contentType ?? ContentTypes.guess(file))) }
            try await client.upload(file: file, size: job.size, bucket: bucket, key: key, headers: headers, progress: progress)
        case (.remote(let client, _, let bucket, let key), .local(let file)):
            try await client.download(bucket: bucket, key: key, versionID: job.versionID, to: file, progress: progress)
        case (.remote(let source, _, let bucket, let key), .remote(let target, _, let targetBucket, let targetKey)):
            var replacement: [(name: String, value: String)]?
            if !attributes.isEmpty || contentType != nil {
                let head = try await source.head(bucket: bucket, key: key, versionID: job.versionID)
                var headers = head.headers.map { (name: $0.0, value: $0.1) }
                for attribute in attributes + (contentType.map { [("content-type", $0)] } ?? []) {
                    headers.removeAll { $0.name == attribute.name }
                    headers.append(attribute)
                }
                replacement = headers
            }
            try await source.copy(
                bucket: bucket, key: key, versionID: job.versionID, size: job.size, to: target, bucket: targetBucket, key: targetKey,
                headers: replacement, progress: progress)
        case (.local, .local):
            throw CLIError("both paths are local", hint: "use cp(1) for local copies; remote paths start with an alias (`floe alias ls`)")
        }
    }

    /// Runs jobs four at a time; `after` runs once a job is done (mv removes the source there).
    func run(_ jobs: [Job], options: OutputOptions, verb: String, after: ((Job) async throws -> Void)? = nil) async throws {
        let printer = Printer(options: options)
        let bar = ProgressBar(total: jobs.reduce(0) { $0 + $1.size }, options: options)
        defer { bar.finish() }
        let (attributes, contentType) = (self.attributes, self.contentType)
        try await withThrowingTaskGroup(of: Job.self) { group in
            var pending = jobs.makeIterator()
            var running = 0
            func startNext() {
                guard let job = pending.next() else { return }
                running += 1
                group.addTask {
                    try await Self.perform(job, attributes: attributes, contentType: contentType, progress: bar.callback)
                    return job
                }
            }
            for _ in 0..<4 { startNext() }
            while running > 0, let job = try await group.next() {
                running -= 1
                try await after?(job)
                if options.json || !options.quiet && !Self.isTTY {
                    printer.done(["source": job.from.display, "target": job.to.display, "size": job.size, "status": verb], "\(verb) \(job.from.display) → \(job.to.display)")
                }
                startNext()
            }
        }
    }

    static let isTTY = isatty(STDERR_FILENO) == 1
}

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files and objects: local ↔ remote and remote ↔ remote.",
        discussion: "Large files go up as parallel multipart uploads; downloads land atomically. A directory or prefix copies with --recursive; SOURCE/ (trailing slash) copies its contents, SOURCE copies it by name. Content type and metadata are kept on remote copies; --attr sets headers and metadata.")
    @Argument(help: "Sources, then the target.") var paths: [String]
    @Flag(name: [.short, .long], help: "Copy directories and prefixes with everything below them.") var recursive = false
    @Option(help: "Headers and metadata, NAME=VALUE;… (Cache-Control, Content-Type, Content-Disposition, Content-Encoding, Content-Language, Expires; anything else is user metadata).")
    var attr: String?
    @Option(help: "Content type of uploads (default: guessed from the file name).") var contentType: String?
    @Option(help: "Copy this version of a remote source object.") var versionId: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard paths.count >= 2 else { throw ValidationError("cp needs a source and a target") }
    }

    func run() async throws {
        try await Session.with { session in
            let transfers = Transfers(session: session, attributes: try Attributes.headers(attr), contentType: contentType)
            try await transfers.run(try await Self.jobs(transfers, Array(paths.dropLast()), paths.last!, recursive: recursive, versionID: versionId), options: output, verb: "Copied")
        }
    }

    static func jobs(_ transfers: Transfers, _ sources: [String], _ target: String, recursive: Bool, versionID: String?) async throws -> [Job] {
        let (targetPlace, isContainer) = try transfers.target(target, forceContainer: sources.count > 1 || recursive)
        var jobs: [Job] = []
        for source in sources {
            for found in try await transfers.sources(source, recursive: recursive, versionID: versionID) {
                if case .local = targetPlace, CopyPlan.localSafe([found.relative], skipped: Transfers.warnOutside).isEmpty { continue }
                let to = Transfers.place(targetPlace, found.relative, isContainer: isContainer)
                jobs.append(Job(from: found.place, to: to, size: found.size, versionID: versionID))
            }
        }
        return jobs
    }
}

struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mv", abstract: "Move files and objects (copy, then remove each source once its copy is done).")
    @Argument(help: "Sources, then the target.") var paths: [String]
    @Flag(name: [.short, .long], help: "Move directories and prefixes with everything below them.") var recursive = false
    @Option(help: "Headers and metadata, NAME=VALUE;… (as for cp).") var attr: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard paths.count >= 2 else { throw ValidationError("mv needs a source and a target") }
    }

    func run() async throws {
        try await Session.with { session in
            let transfers = Transfers(session: session, attributes: try Attributes.headers(attr), contentType: nil)
            let jobs = try await CopyCommand.jobs(transfers, Array(paths.dropLast()), paths.last!, recursive: recursive, versionID: nil)
            try await transfers.run(jobs, options: output, verb: "Moved") { job in
                switch job.from {
                case .local(let path): try FileManager.default.removeItem(atPath: path)
                case .remote(let client, _, let bucket, let key): try await client.delete(bucket: bucket, key: key)
                }
            }
        }
    }
}

struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror", abstract: "Make a target directory or prefix match a source, one way.",
        discussion: "Copies what is missing, differs in size or is newer at the source; --remove also deletes what the source no longer has.")
    @Argument(help: "Source directory or ALIAS/BUCKET[/PREFIX].") var source: String
    @Argument(help: "Target directory or ALIAS/BUCKET[/PREFIX].") var target: String
    @Flag(help: "Delete target files and objects the source does not have.") var remove = false
    @Flag(help: "Print what would change, change nothing.") var dryRun = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let transfers = Transfers(session: session, attributes: [], contentType: nil)
            let (sourcePlace, sourceEntries) = try await entries(session, source)
            let (targetPlace, targetEntries) = try await entries(session, target)
            var plan = MirrorPlan.plan(source: sourceEntries, target: targetEntries, remove: remove)
            if case .local = targetPlace { plan.copy = CopyPlan.localSafe(plan.copy, skipped: Transfers.warnOutside) }
            let printer = Printer(options: output)
            let jobs = plan.copy.map { Job(from: Transfers.place(sourcePlace, $0), to: Transfers.place(targetPlace, $0), size: sourceEntries[$0]!.size) }
            if dryRun {
                for job in jobs { printer.done(["source": job.from.display, "target": job.to.display, "status": "would-copy"], "Would copy \(job.from.display) → \(job.to.display)") }
            } else {
                try await transfers.run(jobs, options: output, verb: "Copied")
            }
            for name in plan.delete {
                let place = Transfers.place(targetPlace, name)
                if !dryRun {
                    switch place {
                    case .local(let path): try FileManager.default.removeItem(atPath: path)
                    case .remote(let client, _, let bucket, let key): try await client.delete(bucket: bucket, key: key)
                    }
                }
                printer.done(["target": place.display, "status": dryRun ? "would-remove" : "removed"], "\(dryRun ? "Would remove" : "Removed") \(place.display)")
            }
            if !output.json && !output.quiet {
                print("\(dryRun ? "Would copy" : "Copied") \(plan.copy.count), \(dryRun ? "would remove" : "removed") \(plan.delete.count), \(sourceEntries.count - plan.copy.count) already up to date")
            }
        }
    }

    /// Every file or object below a directory or prefix, by relative name.
    func entries(_ session: Session, _ text: String) async throws -> (Place, [String: MirrorPlan.Entry]) {
        switch session.location(text) {
        case .local(let raw):
            let path = NSString(string: raw).expandingTildeInPath
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            var found: [String: MirrorPlan.Entry] = [:]
            for file in Transfers.localFiles(path) { found[file.relative] = MirrorPlan.Entry(size: file.size, modified: file.modified) }
            return (.local(path), found)
        case .remote(let alias, let bucket, let key):
            guard let bucket else { throw CLIError("\"\(text)\" names no bucket", hint: "write ALIAS/BUCKET[/PREFIX]") }
            let client = try session.s3(alias)
            let prefix = key.isEmpty || key.hasSuffix("/") ? key : key + "/"
            var found: [String: MirrorPlan.Entry] = [:]
            try await session.eachObject(client, bucket: bucket, prefix: prefix) { object in
                found[String(object.key.dropFirst(prefix.count))] = MirrorPlan.Entry(size: object.size, modified: object.lastModified)
            }
            return (.remote(client, alias: alias, bucket: bucket, key: prefix), found)
        }
    }
}
