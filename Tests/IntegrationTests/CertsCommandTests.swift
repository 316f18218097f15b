import Foundation
import TestSupport
import Testing

/// `revenant certs` run as a binary over certificates the `openssl` CLI makes at test time, dated
/// relative to now (the command reads the wall clock): findings, JSON facts and exit codes.
@Suite struct CertsCommandTests {
    /// A root and leaves issued by `openssl ca` with start and end dates `days` from now.
    static func makePKI(in work: WorkDirectory) async throws {
        let stamp = OpenSSLCA.stamp
        let script = OpenSSLCA.script(serial: 2000, sections: """
        [ leaf_ext ]
        basicConstraints = CA:FALSE
        subjectAltName = DNS:svc.example.com
        authorityInfoAccess = OCSP;URI:http://ocsp.example.com
        crlDistributionPoints = URI:http://crl.example.com/root.crl
        """, then: """
        \(OpenSSLCA.ecRoot("Certs Test Root", since: -10))
        issue() { # name key start end [openssl ca options]
          openssl req -new -key "$2" -subj "/CN=$1.example.com" -config ca.cnf -out "$1.csr"
          openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \
            -startdate "$3" -enddate "$4" -extensions leaf_ext ${5:-} 2>/dev/null
        }
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key 2>/dev/null
        issue good ec.key \(stamp(-10)) \(stamp(355))
        issue expiring ec.key \(stamp(-300)) \(stamp(10))
        issue expired ec.key 20200101000000Z 20210101000000Z
        issue weak weak.key \(stamp(-10)) \(stamp(355))
        issue old ec.key \(stamp(-500)) \(stamp(200))
        issue sha1 ec.key \(stamp(-10)) \(stamp(355)) "-md sha1"
        mkdir -p scan/nested/deeper scan/more
        cp old.pem sha1.pem scan/more/
        cp good.pem scan/good.pem
        cat expiring.pem root.pem > scan/nested/chain.crt
        openssl x509 -in expired.pem -outform DER -out scan/nested/deeper/expired.der
        cp weak.pem scan/nested/weak.cer
        cp ec.key scan/key.pem
        sed '3s/./#/g' good.pem > scan/broken.pem
        openssl pkcs12 -export -in good.pem -inkey ec.key -passout pass:p12-pass -out good.p12
        echo '{"policy": {"expiry_warning_days": 30, "max_rotation_age_days": {"x509_certificate": 400}}}' > config.json
        """)
        let r = try await run("/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + script, work.path])
        guard r.ok else { throw CommandError(description: "making the PKI failed: \(r)") }
    }

    /// Results of a JSON report by credential id: (finding codes, tags).
    static func results(_ stdout: String) throws -> [String: (codes: [String], tags: [String: String])] {
        let report = try jsonObject(stdout)
        var out: [String: (codes: [String], tags: [String: String])] = [:]
        for case let result as [String: Any] in report["results"] as? [Any] ?? [] {
            let credential = result["credential"] as? [String: Any] ?? [:]
            let codes = (result["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            out[credential["id"] as? String ?? ""] = (codes, credential["tags"] as? [String: String] ?? [:])
        }
        return out
    }

    @Test func directoryScanReportsEachCertificatesFindings() async throws {
        let work = try WorkDirectory("certs-scan")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let scan = work.file("scan").path
        let r = try await revenant(["certs", scan, "--format", "json", "--config", work.file("config.json").path])
        #expect(r.exited && r.status == 1, "an expired certificate is a high finding: \(r)")
        let results = try Self.results(r.stdout)
        #expect(Set(results.keys) == Set(["good.pem", "nested/chain.crt", "nested/chain.crt#2", "nested/deeper/expired.der", "nested/weak.cer",
                                          "more/old.pem", "more/sha1.pem"]
            .map { scan + "/" + $0 }), "\(results.keys.sorted())")
        #expect(results[scan + "/more/old.pem"]?.codes == ["rotation_overdue"], "issued 500 days ago, policy 400")
        #expect(results[scan + "/more/sha1.pem"]?.codes == ["weak_crypto"], "SHA-1 signature")
        #expect(results[scan + "/good.pem"]?.codes == ["ok"])
        #expect(results[scan + "/nested/chain.crt"]?.codes == ["expiring_soon"])
        #expect(results[scan + "/nested/chain.crt#2"]?.codes == ["ok"], "the root in the chain file")
        #expect(results[scan + "/nested/deeper/expired.der"]?.codes == ["expired"])
        #expect(results[scan + "/nested/weak.cer"]?.codes == ["weak_crypto"])
        // Nobody recorded owners: no ownerless finding without an inventory.
        #expect(!r.stdout.contains("ownerless"))

        let good = try #require(results[scan + "/good.pem"]?.tags)
        #expect(good["subject"] == "CN=good.example.com")
        #expect(good["issuer"] == "CN=Certs Test Root")
        #expect(good["serial"] == "2001")
        #expect(good["key"] == "EC 256 prime256v1")
        #expect(good["signature"] == "ecdsa-with-SHA256")
        #expect(good["sans"] == "DNS:svc.example.com")
        #expect(good["ocsp"] == "http://ocsp.example.com")
        #expect(good["crl"] == "http://crl.example.com/root.crl")
        #expect(good["is_ca"] == "false")
        let fingerprint = try await run("/usr/bin/env", ["openssl", "x509", "-in", work.file("good.pem").path, "-noout", "-fingerprint", "-sha256"])
        let expected = fingerprint.stdout.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "").lowercased() }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(good["sha256"] == expected)
        #expect(results[scan + "/nested/chain.crt#2"]?.tags["is_ca"] == "true")

        // The corrupt PEM is a warning naming the file; the private key is only counted.
        #expect(r.stderr.contains("warning: \(scan)/broken.pem: PEM certificate block 1 cannot be decoded"), "\(r.stderr)")
        #expect(!r.stderr.contains("key.pem"))
        #expect(r.stderr.contains("1 file(s) in the directories hold no certificate"))
    }

    @Test func failOnDecidesTheExitCode() async throws {
        let work = try WorkDirectory("certs-fail-on")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let config = work.file("config.json").path
        let weak = work.file("weak.pem").path
        let good = work.file("good.pem").path
        let expired = work.file("expired.pem").path
        let cases: [([String], Int32)] = [
            ([good], 0), ([weak], 0), ([weak, "--fail-on", "medium"], 1), ([expired], 1),
            ([expired, "--fail-on", "critical"], 0), ([expired, "--fail-on", "never"], 0), ([good, "--fail-on", "low"], 0),
        ]
        for (arguments, status) in cases {
            let r = try await revenant(["certs"] + arguments + ["--format", "json", "--config", config])
            #expect(r.exited && r.status == status, "\(arguments): \(r)")
        }
    }

    @Test func inputErrorsExitTwo() async throws {
        let work = try WorkDirectory("certs-input")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let good = work.file("good.pem").path
        let missing = work.file("nope.pem").path
        let notCertificate = try work.write("notes.txt", "not a certificate\n")
        let cases: [([String], String)] = [
            ([missing], "\(missing): no such file or directory"),
            ([good, missing], "\(missing): no such file or directory"),
            (["ldaps://127.0.0.1:636"], "ldaps://127.0.0.1:636: the ldaps:// scheme is not supported"),
            ([notCertificate], "no certificate could be read"),
            ([work.file("scan/key.pem").path], "no CERTIFICATE block in this PEM file (found: PRIVATE KEY)"),
            ([], "give at least one certificate file or directory"),
            ([good, "--format", "xml"], "The value 'xml' is invalid for '--format <format>'"),
            ([good, "--pkcs12-password", "p12-pass"], "--pkcs12-password takes env:NAME or file:PATH"),
        ]
        for (arguments, message) in cases {
            let r = try await revenant(["certs"] + arguments)
            #expect(r.exited && r.status == 2, "\(arguments): \(r)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(arguments): nothing is reported on an input error")
        }
    }

    @Test func pkcs12PasswordComesFromASecretSource() async throws {
        let work = try WorkDirectory("certs-p12")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let p12 = work.file("good.p12").path
        let ok = try await revenant(["certs", p12, "--pkcs12-password", "env:P12_PASS", "--format", "json"], environment: ["P12_PASS": "p12-pass"])
        #expect(ok.exited && ok.status == 0, "\(ok)")
        #expect(try Self.results(ok.stdout)[p12]?.tags["subject"] == "CN=good.example.com")
        #expect(!ok.stdout.contains("p12-pass") && !ok.stderr.contains("p12-pass"))

        let wrong = try await revenant(["certs", p12, "--pkcs12-password", "env:P12_PASS"], environment: ["P12_PASS": "wrong"])
        #expect(wrong.exited && wrong.status == 2, "\(wrong)")
        #expect(wrong.stderr.contains("\(p12): the PKCS#12 password is wrong"), "\(wrong.stderr)")

        let unset = try await revenant(["certs", p12, "--pkcs12-password", "env:P12_UNSET_VARIABLE"])
        #expect(unset.exited && unset.status == 2 && unset.stderr.contains("environment variable P12_UNSET_VARIABLE is not set"), "\(unset)")
    }

    @Test func jsonLinesAndTableFormats() async throws {
        let work = try WorkDirectory("certs-formats")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let scan = work.file("scan").path
        let config = work.file("config.json").path
        let lines = try await revenant(["certs", scan, "--format", "jsonl", "--config", config])
        let records = lines.stdout.split(separator: "\n").map { try? jsonObject(String($0)) }
        #expect(records.count == 7 && records.allSatisfy { $0?["schema"] as? String == "revenant.result/v1" }, "\(lines)")

        let table = try await revenant(["certs", scan, "--format", "table", "--config", config])
        #expect(table.exited && table.status == 1)
        for expected in ["expired", "expiring_soon", "weak_crypto", "rotation_overdue", "\(scan)/nested/weak.cer", "RSA key of 1024 bits (< 2048)", "SHA-1 signature"] {
            #expect(table.stdout.contains(expected), "\(expected): \(table.stdout)")
        }

        let reports = work.file("reports").path
        let both = try await revenant(["certs", scan, "--format", "json", "--format", "table", "--output", reports, "--config", config])
        #expect(both.exited && both.status == 1 && both.stdout.isEmpty, "\(both)")
        #expect(try Self.results(work.read("reports/report.json")).count == 7)
        #expect(work.read("reports/report.txt").contains("weak_crypto"))
    }

    @Test func helpShowsExamples() async throws {
        let r = try await revenant(["certs", "--help"])
        #expect(r.exited && r.status == 0)
        #expect(r.stdout.contains("revenant certs ./certs/ --format json --output certs.json"))
        #expect(r.stdout.contains("--pkcs12-password"))
    }
}
