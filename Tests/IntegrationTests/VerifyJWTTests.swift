import Foundation
import TestSupport
import Testing

/// `revenant verify` with `jwt.jwks` configured: each JWT credential's signature is checked against
/// the JWK Set (a file here; http(s) URLs are fetched the same way), before anything is sent.
@Suite struct VerifyJWTTests {
    @Test func tokenSignedByAKeyTheJWKSNoLongerHasIsNamedInAWarning() async throws {
        let jose = try TestJOSE.shared.get()
        let work = try WorkDirectory("verify-jwks")
        defer { work.remove() }
        let current = try jose.token(header: #"{"alg":"ES256","kid":"current"}"#, claims: #"{"sub":"svc","exp":1893456000}"#, key: .ec256, scheme: "ES256")
        let retired = try jose.token(header: #"{"alg":"RS256","kid":"retired"}"#, claims: #"{"sub":"svc","exp":1893456000}"#, key: .rsa, scheme: "RS256")
        _ = try work.write("jwks.json", String(decoding: TestJOSE.set([try jose.jwk(.ec256, kid: "current")]), as: UTF8.self))
        _ = try work.write("current.jwt", current)
        _ = try work.write("retired.jwt", retired)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            ["id": "current-token", "kind": "jwt", "state": "active", "owner": "platform", "secret": ["file": "current.jwt"]],
            ["id": "retired-key-token", "kind": "jwt", "state": "active", "owner": "platform", "secret": ["file": "retired.jwt"]],
        ]])
        let config = try work.writeJSON("config.json", ["jwt": ["jwks": "jwks.json"]])
        let r = try await revenant(["verify", "--inventory", inventory, "--config", config, "--format", "json"])
        #expect(r.exited && r.status == 0, "\(r)")
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("JWKS") }
        #expect(warnings.count == 1 && warnings[0].contains("retired-key-token"), "\(r.stderr)")
        // The token's expiry came from its `exp`; no token text in any output.
        let report = try ParsedReport(r.stdout)
        #expect(((report.result("current-token")?["credential"] as? [String: Any])?["expires_at"] as? String) == "2030-01-01T00:00:00Z")
        for token in [current, retired] {
            let signature = String(token.split(separator: ".").last ?? "")
            #expect(!r.stdout.contains(signature) && !r.stderr.contains(signature))
        }
        // A JWKS that cannot be read stops the run before anything is sent.
        let broken = try work.writeJSON("broken.json", ["jwt": ["jwks": "missing.json"]])
        let failed = try await revenant(["verify", "--inventory", inventory, "--config", broken, "--format", "json"])
        #expect(failed.exited && failed.status == 2 && failed.stderr.contains("jwt.jwks"), "\(failed)")
    }
}
