import MatchService
import Testing

@Suite struct CredentialsTests {
    @Test(arguments: [
        ("secret", "secret", true), ("secret", "secreT", false), ("secret", "secret2", false), ("", "", true),
        ("a", "", false), ("abc", "ab", false),
    ])
    func constantTimeEqualityIsEquality(left: String, right: String, equal: Bool) {
        #expect(Credentials.constantTimeEqual(Array(left.utf8), Array(right.utf8)) == equal)
    }

    @Test func withoutAnAdminTokenOnlyTheUnixSocketIsAdmin() {
        let open = Credentials()
        #expect(open.initialLevel(for: .unix) == .admin)
        #expect(open.initialLevel(for: .tcp) == .client)
        #expect(open.initialLevel(for: .http) == .client)
        #expect(open.level(presenting: Array("anything".utf8), on: .tcp) == nil)
    }

    @Test func tokensGrantTheirLevels() {
        let credentials = Credentials(clientToken: Array("c".utf8), adminToken: Array("a".utf8))
        #expect(credentials.initialLevel(for: .unix) == .client)
        #expect(credentials.initialLevel(for: .tcp) == AccessLevel.none)
        #expect(credentials.level(presenting: Array("c".utf8), on: .tcp) == .client)
        #expect(credentials.level(presenting: Array("a".utf8), on: .http) == .admin)
        #expect(credentials.level(presenting: Array("b".utf8), on: .unix) == nil)
    }

    @Test func nonLoopbackListenersNeedAToken() throws {
        var configuration = ServiceConfiguration(hashSetDirectory: "/nonexistent")
        configuration.framedListeners = [.tcp(host: "0.0.0.0", port: 9000)]
        #expect(throws: ConfigurationError.tokenRequired("0.0.0.0:9000")) { try configuration.validate() }
        configuration.framedListeners = [.tcp(host: "127.0.0.1", port: 9000), .unix(path: "/tmp/x.sock")]
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.httpListeners = [ListenAddress.parseTCP("[::]:80")!]
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.credentials = Credentials(clientToken: [1])
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func listenAddressesParse() {
        #expect(ListenAddress.parseTCP("127.0.0.1:8080") == .tcp(host: "127.0.0.1", port: 8080))
        #expect(ListenAddress.parseTCP("[::1]:0") == .tcp(host: "::1", port: 0))
        #expect(ListenAddress.parseTCP("localhost") == nil)
        #expect(ListenAddress.parseTCP(":80") == nil)
        #expect(ListenAddress.parseTCP("host:70000") == nil)
    }
}
