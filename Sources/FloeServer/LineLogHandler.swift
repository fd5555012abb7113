#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Synchronization

/// The server's log lines on standard error (where swift-log's default handler writes them), in swift-log's stream format
/// (`2026-12-04T16:16:15+0000 info floe: key=value … [Module] message`), made cheaply: the time
/// is formatted once per second, not with `localtime` and `strftime` for every line, and the
/// metadata is sorted as an array rather than merged through dictionaries. At the default level
/// every S3 request logs a line, and `StreamLogHandler` made that line a quarter of a small
/// request's CPU (HEAD 4 KiB: 85 against 57 µs with the line off).
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        StandardError.write(Self.render(event, label: label, base: metadata, timestamp: LogClock.shared.timestamp()))
    }

    /// One line: the time, the level, the label, the metadata sorted by key (the event's over the
    /// handler's, then the error's), the source module in brackets and the message.
    static func render(_ event: LogEvent, label: String, base: Logger.Metadata, timestamp: String) -> String {
        var pairs: [(key: String, value: Logger.Metadata.Value)] = []
        pairs.reserveCapacity(base.count + (event.metadata?.count ?? 0) + 2)
        for (key, value) in base where event.metadata?[key] == nil { pairs.append((key, value)) }
        if let explicit = event.metadata { for (key, value) in explicit { pairs.append((key, value)) } }
        if let error = event.error {
            pairs.removeAll { $0.key == "error.message" || $0.key == "error.type" }
            pairs.append(("error.message", "\(error)"))
            pairs.append(("error.type", "\(String(reflecting: type(of: error)))"))
        }
        pairs.sort { $0.key < $1.key }
        var line = timestamp
        line.reserveCapacity(timestamp.utf8.count + 64 + pairs.count * 24 + event.message.description.utf8.count)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty { line += " " }
        line += label
        line += ":"
        for (key, value) in pairs {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        return line
    }
}

/// The local time of the current second as `%Y-%m-%dT%H:%M:%S%z`, formatted when the second
/// changes.
final class LogClock: Sendable {
    static let shared = LogClock()
    private let cached = Mutex<(second: time_t, text: String)>((-1, ""))

    func timestamp() -> String {
        var now = time(nil)
        if let text = cached.withLock({ $0.second == now ? $0.text : nil }) { return text }
        let text = Self.format(&now)
        cached.withLock { $0 = (now, text) }
        return text
    }

    static func format(_ seconds: inout time_t) -> String {
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Standard error through stdio, locked for the whole line and flushed after it, as swift-log's
/// stream writes it: lines from several threads never interleave.
enum StandardError {
    nonisolated(unsafe) private static let file = stderr!

    static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            flockfile(file)
            _ = fwrite(base, 1, bytes.count, file)
            funlockfile(file)
            fflush(file)
        }
    }
}
