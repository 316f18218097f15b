import Foundation
import Testing

/// On a terminal the table is the default and is coloured, unless NO_COLOR is set. A pseudo
/// terminal comes from util-linux `script`.
@Suite struct TerminalOutputTests {
    static func onTerminal(_ arguments: [String], noColor: Bool) async throws -> CommandResult {
        let quoted = ([Package.binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var env = ["TERM": "xterm"]
        if noColor { env["NO_COLOR"] = "1" }
        return try await run("/usr/bin/script", ["-q", "-e", "-c", quoted.joined(separator: " "), "/dev/null"], environment: env)
    }

    @Test(arguments: [true, false])
    func tableOnATerminalIsColouredUnlessNoColor(noColor: Bool) async throws {
        let work = try WorkDirectory("tty")
        defer { work.remove() }
        try work.writeJSON("probes/t-bearer.json", Scenario.probe("t-bearer", path: "/bearer/user"))
        // Skipped (host not allowed): a high finding, and nothing is sent.
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("tty-token", state: "revoked", secret: ["env": "REVENANT_TTY_TEST_TOKEN"], probe: "t-bearer", target: "http://192.0.2.1"),
        ]])
        let r = try await Self.onTerminal(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--no-progress"],
                                          noColor: noColor)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("SEVERITY"), "table is the default on a terminal: \(r)")
        #expect(r.stdout.contains("revocation_unverified"))
        #expect(r.stdout.contains("\u{1B}[") == !noColor, "escape codes only without NO_COLOR: \(r.stdout.debugDescription)")
    }

    @Test(arguments: [false, true])
    func certsShowsProgressOnATerminalUnlessNoProgress(noProgress: Bool) async throws {
        let work = try WorkDirectory("tty-certs")
        defer { work.remove() }
        _ = try await makeSelfSignedCertificate(in: work, subject: "tty-progress")
        let r = try await Self.onTerminal(["certs", work.file("c.pem").path, "--format", "json", "--output", work.file("r.json").path]
                                              + (noProgress ? ["--no-progress"] : []), noColor: true)
        #expect(r.stdout.contains("checking 1/1") == !noProgress, "\(r.stdout.debugDescription)")
    }
}
