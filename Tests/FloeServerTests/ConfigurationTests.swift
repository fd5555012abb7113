import Testing

@testable import FloeServer

@Suite struct ConfigurationTests {
    @Test func addresses() throws {
        #expect(try HostAndPort(parsing: "127.0.0.1:9000") == HostAndPort(host: "127.0.0.1", port: 9000))
        #expect(try HostAndPort(parsing: ":9001") == HostAndPort(host: "0.0.0.0", port: 9001))
        #expect(try HostAndPort(parsing: "[::1]:9000") == HostAndPort(host: "::1", port: 9000))
        #expect(HostAndPort(host: "::1", port: 9000).description == "[::1]:9000")
        for bad in ["9000", "host:", "host:99999", "[::1]9000", "host:port"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try HostAndPort(parsing: bad) }
        }
    }

    @Test func environmentOverridesDefaults() throws {
        var configuration = ServerConfiguration()
        #expect(configuration.s3Address == HostAndPort(host: "0.0.0.0", port: 9000))
        #expect(configuration.region == "us-east-1")
        try configuration.apply(environment: [
            "FLOE_DATA": "/srv/floe", "FLOE_S3_ADDRESS": "127.0.0.1:9100", "FLOE_REGION": "local",
            "FLOE_DOMAIN": "s3.local,s3.lan", "FLOE_ROOT_USER": "admin", "FLOE_ROOT_PASSWORD": "password1", "UNRELATED": "x",
        ])
        #expect(configuration.dataDirectory == "/srv/floe")
        #expect(configuration.s3Address.port == 9100)
        #expect(configuration.region == "local")
        #expect(configuration.domains == ["s3.local", "s3.lan"])
        #expect(configuration.rootUser == "admin" && configuration.rootPassword == "password1")
        #expect(throws: ConfigurationError.self) { try configuration.apply(environment: ["FLOE_S3_ADDRESS": "nope"]) }
    }

    @Test func theConsoleListensOn9001UnlessTurnedOff() throws {
        var configuration = ServerConfiguration()
        #expect(configuration.consoleAddress == HostAndPort(host: "0.0.0.0", port: 9001))
        try configuration.apply(environment: ["FLOE_CONSOLE_ADDRESS": "127.0.0.1:9101", "FLOE_CONSOLE_S3_URL": "https://s3.lan:9443"])
        #expect(configuration.consoleAddress == HostAndPort(host: "127.0.0.1", port: 9101))
        #expect(configuration.consoleS3URL == "https://s3.lan:9443")
        try configuration.apply(environment: ["FLOE_CONSOLE_ADDRESS": "off"])
        #expect(configuration.consoleAddress == nil)
    }

    @Test func directWritesAreOnUnlessTurnedOff() throws {
        var configuration = ServerConfiguration()
        #expect(configuration.directWrites)
        try configuration.apply(environment: ["FLOE_DIRECT_WRITES": "off"])
        #expect(!configuration.directWrites)
        try configuration.apply(environment: ["FLOE_DIRECT_WRITES": "ON"])
        #expect(configuration.directWrites)
        #expect(throws: ConfigurationError.self) { try configuration.apply(environment: ["FLOE_DIRECT_WRITES": "sometimes"]) }
    }

    @Test func theConsoleCallsWildcardListenersOnLoopback() {
        #expect(ConsoleListener.loopbackURL(HostAndPort(host: "0.0.0.0", port: 9000), secure: false) == "http://127.0.0.1:9000")
        #expect(ConsoleListener.loopbackURL(HostAndPort(host: "::", port: 9000), secure: true) == "https://[::1]:9000")
        #expect(ConsoleListener.loopbackURL(HostAndPort(host: "::1", port: 8181), secure: false) == "http://[::1]:8181")
        #expect(ConsoleListener.loopbackURL(HostAndPort(host: "10.0.0.5", port: 9000), secure: false) == "http://10.0.0.5:9000")
    }
}
