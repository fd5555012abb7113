#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing

@testable import FloeServer

struct LogTestRefusal: Error {}

@Suite struct LineLogHandlerTests {
    private func event(_ metadata: Logger.Metadata?, error: (any Error)? = nil) -> LogEvent {
        LogEvent(level: .info, message: "request", error: error, metadata: metadata, source: "S3API", file: #fileID, function: #function, line: #line)
    }

    /// The line swift-log's stream handler writes: time, level, label, metadata sorted by key,
    /// the source in brackets, the message.
    @Test func aLineHasTheStreamHandlersShape() {
        let line = LineLogHandler.render(
            event(["status": "200", "bucket": "bench", "key": "o083"]), label: "floe", base: [:], timestamp: "2026-12-04T16:16:15+0000")
        #expect(line == "2026-12-04T16:16:15+0000 info floe: bucket=bench key=o083 status=200 [S3API] request\n")
        #expect(LineLogHandler.render(event(nil), label: "floe", base: [:], timestamp: "T") == "T info floe: [S3API] request\n")
    }

    /// The event's metadata wins over the handler's; an error adds its message and type.
    @Test func eventMetadataOverridesTheHandlersAndErrorsAreNamed() {
        let line = LineLogHandler.render(
            event(["request_id": "B"], error: LogTestRefusal()), label: "floe", base: ["request_id": "A", "listener": "s3"], timestamp: "T")
        #expect(line.hasPrefix("T info floe: error.message=LogTestRefusal() error.type=FloeServerTests.LogTestRefusal listener=s3 request_id=B [S3API] request"))
    }

    /// The time of the current second, formatted as the stream handler does, the same text
    /// within a second.
    @Test func theClockFormatsLocalTimeAsTheStreamHandlerDoes() {
        var epoch: time_t = 86_400 * 365
        let text = Array(LogClock.format(&epoch).utf8)
        #expect(text.count == 24)
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23]
        #expect(digits.allSatisfy { text[$0] >= UInt8(ascii: "0") && text[$0] <= UInt8(ascii: "9") })
        #expect([text[4], text[7], text[10], text[13], text[16]] == Array("--T::".utf8))
        #expect(text[19] == UInt8(ascii: "+") || text[19] == UInt8(ascii: "-"))
        let first = LogClock.shared.timestamp()
        let second = LogClock.shared.timestamp()
        #expect(first == second || first < second)
    }
}
