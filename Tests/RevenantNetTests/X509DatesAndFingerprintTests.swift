import Foundation
import RevenantCore
import TestSupport
import Testing
@testable import RevenantNet

/// Certificate times at the edges of UTCTime (1950–2049) and GeneralizedTime (2050 on, to 9999),
/// leap days included, read as Foundation's Gregorian calendar counts them; and the fingerprint is
/// the SHA-256 of the certificate's DER as it was read (what `openssl dgst -sha256` of the DER file gives).
@Suite struct X509DatesAndFingerprintTests {
    /// (name, notBefore, notAfter) as `openssl ca -startdate/-enddate` take them.
    static let cases: [(String, String, String)] = [
        ("utc-edges", "19500101000000Z", "20491231235959Z"),
        ("generalized", "20500101000000Z", "99991231235959Z"),
        ("leap-days", "20000229120000Z", "20960229235959Z"),
        ("century", "19991231235959Z", "21000301000000Z"),
    ]

    /// A directory inside the shared test PKI's (removed at exit), made once per test process.
    static let pki: Result<String, PKIError> = Result { () throws(PKIError) in
        let directory = try TestPKI.shared.get().file("dates")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let issues = cases.map { "issue \($0.0) \($0.1) \($0.2)" }.joined(separator: "\n")
        let script = OpenSSLCA.script(serial: 7000, sections: "", then: """
        \(OpenSSLCA.ecRoot("Dates Test Root", since: -1))
        issue() { # name start end
          openssl req -new -key root.key -subj "/CN=$1" -config ca.cnf -out "$1.csr"
          openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \\
            -startdate "$2" -enddate "$3" 2>/dev/null
          openssl x509 -in "$1.pem" -outform DER -out "$1.der"
          openssl x509 -in "$1.pem" -noout -dates > "$1.dates"
          openssl dgst -sha256 -r "$1.der" | cut -c1-64 > "$1.sha256"
        }
        \(issues)
        """)
        try Shell.run(script, in: directory)
        return directory
    }

    static func gregorian(_ stamp: String) -> Date {
        let d = Array(stamp.utf8).map { Int($0) - 48 }
        func n(_ from: Int, _ count: Int) -> Int { d[from..<from + count].reduce(0) { $0 * 10 + $1 } }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: n(0, 4), month: n(4, 2), day: n(6, 2), hour: n(8, 2), minute: n(10, 2), second: n(12, 2)))!
    }

    @Test(arguments: 0..<cases.count)
    func datesAreWhatTheCalendarSays(_ i: Int) throws {
        let (name, start, end) = Self.cases[i]
        let directory = try Self.pki.get()
        let file = X509Loader.load(file: directory + "/\(name).pem")
        let info = try #require(file.certificates.first, "\(String(describing: file.problem))").info
        #expect(info.notBefore == Self.gregorian(start))
        #expect(info.notAfter == Self.gregorian(end))
        let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        #expect(Timestamp.format(info.notBefore) == info.notBefore.formatted(iso))
        #expect(Timestamp.format(info.notAfter) == info.notAfter.formatted(iso))
        // openssl agrees on what was written (UTCTime before 2050, GeneralizedTime after: both read).
        let dates = try String(contentsOfFile: directory + "/\(name).dates", encoding: .utf8)
        #expect(dates.contains("notBefore=") && dates.contains("notAfter="))
    }

    @Test(arguments: 0..<cases.count)
    func fingerprintIsTheDERAsRead(_ i: Int) throws {
        let name = Self.cases[i].0
        let directory = try Self.pki.get()
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name).der")))
        let expected = try String(contentsOfFile: directory + "/\(name).sha256", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(expected.count == 64)
        let fromPEM = try #require(X509Loader.load(file: directory + "/\(name).pem").certificates.first)
        let fromDER = try #require(X509Loader.load(file: directory + "/\(name).der").certificates.first)
        #expect(fromPEM.info.sha256 == expected)
        #expect(fromDER.info.sha256 == expected)
        // Re-encoded by OpenSSL (a TLS peer's certificate is fingerprinted so): the same bytes.
        #expect(fromPEM.der == der)
        // Bytes after the certificate in a DER file are not part of it.
        let trailing = X509Loader.load(bytes: der + [0x00, 0x00, 0x05], path: "trailing.der")
        #expect(try #require(trailing.certificates.first).info.sha256 == expected)
    }

    /// The extension that picks PKCS#12 decoding and the directory walk's files, read from the name.
    @Test(arguments: [
        ("certs/leaf.PEM", "pem"), ("/etc/ssl/client.p12", "p12"), ("bundle.pfx/", "pfx"), (".p12", ""),
        ("dir.d/file", ""), ("file.", ""), ("a/.hidden.der", "der"), ("archive.tar.GZ", "gz"), ("/", ""), ("", ""),
    ])
    func extensionIsReadFromTheLastName(_ path: String, _ ext: String) {
        #expect(X509Loader.fileExtension(path) == ext)
    }
}
