import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failure the CLI explains: what went wrong and what to do about it.
public struct CLIError: Error, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}

/// Flags every command shares.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object per line (for scripts).")
    public var json = false

    @Flag(name: [.short, .long], help: "No progress bar and no informational messages.")
    public var quiet = false

    public init() {}
}

/// Writes results as text for people or JSON lines for scripts.
struct Printer {
    let options: OutputOptions

    /// One result: a JSON object, or its human line.
    func record(_ object: [String: Any], _ human: @autoclosure () -> String) {
        if options.json {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(human())
        }
    }

    /// A JSON-mode-only result (its human form is printed separately, e.g. as a table row).
    func json(_ object: [String: Any]) {
        if options.json { record(object, "") }
    }

    /// Human-only lines (a table, a header); nothing in JSON mode.
    func text(_ lines: [String]) {
        guard !options.json else { return }
        for line in lines { print(line) }
    }

    /// A confirmation of something done (`Bucket created …`); JSON mode prints the object instead.
    func done(_ object: [String: Any], _ human: String) {
        if options.json {
            record(object, human)
        } else if !options.quiet {
            print(human)
        }
    }
}

enum Reporting {
    /// Runs a command body; a failure is printed as `floe: <what>` and `  <what to do>` and exits 1.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            fail(error.message, hint: error.hint)
        } catch let error as ClientError {
            fail(error.description, hint: hint(for: error))
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            fail("\(error)", hint: nil)
        }
    }

    static func fail(_ message: String, hint: String?) -> Never {
        var text = "floe: \(message)\n"
        if let hint { text += "  \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
        exit(1)
    }

    static func hint(for error: ClientError) -> String? {
        switch error.code {
        case "NoSuchBucket": return "create it with `floe mb ALIAS/BUCKET`, or check the name with `floe ls ALIAS`"
        case "NoSuchKey", "NotFound": return "check the path with `floe ls`"
        case "AccessDenied", "ForbiddenException": return "the alias's access key may not do this; an administrator can attach a policy (`floe admin policy attach`)"
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "NotAuthorizedException", "NotAuthorized":
            return "the alias's keys are wrong or disabled; fix them with `floe alias set`"
        case "BucketNotEmpty": return "remove its objects first, or use `floe rb --force`"
        case "Transport": return "is the server running and the alias URL right? (`floe alias ls`)"
        default: return nil
        }
    }
}

/// A transfer progress line on a terminal: bytes, rate and ETA, redrawn at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int64
    private var done: Int64 = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    init(total: Int64, options: OutputOptions) {
        self.total = total
        enabled = !options.quiet && !options.json && isatty(STDERR_FILENO) == 1
    }

    func add(_ bytes: Int64) {
        guard enabled else { return }
        lock.lock()
        done += bytes
        let now = Date()
        let draw = now.timeIntervalSince(lastDraw) >= 0.1 || done >= total
        if draw { lastDraw = now }
        let snapshot = done
        lock.unlock()
        if draw { render(snapshot, now) }
    }

    private func render(_ done: Int64, _ now: Date) {
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        let eta = rate > 0 && total > done ? Int(Double(total - done) / rate) : 0
        let percent = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        let width = 30
        let filled = total > 0 ? min(width, Int(Double(width) * Double(done) / Double(total))) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = "\r\(bar) \(percent)%  \(Format.bytes(done)) / \(Format.bytes(total))  \(Format.bytes(Int64(rate)))/s  ETA \(eta)s "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    var callback: TransferProgress { { [self] in add($0) } }
}
