import Foundation
import TestSupport
import Testing
@testable import RevenantNet

/// Robustness: every file under `x509/` of the PyPI package `cryptography-vectors`
/// (pyca's edge cases, PKITS, real-world oddities) is loaded without a crash: parsed, or a clear error.
@Suite struct CryptographyVectorsTests {
    /// The package's `x509/` directory, or why it is not there.
    static func vectors() -> Result<String, PKIError> {
        let (status, output) = Shell.capture(#"python3 -c 'import cryptography_vectors, os; print(os.path.dirname(cryptography_vectors.__file__))'"#)
        let dir = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, !dir.isEmpty else {
            return .failure(PKIError(description: "the PyPI package cryptography-vectors is not installed (scripts/install-deps.sh installs it): \(output.suffix(300))"))
        }
        return .success(dir + "/x509")
    }

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Files that are meant to be certificates: not CSRs, OCSP messages, CRLs, S/MIME or LDIF.
    static func isCertificateFile(_ relative: String) -> Bool {
        let ext = (relative as NSString).pathExtension.lowercased()
        guard ["pem", "der", "crt"].contains(ext) else { return false }
        let lower = relative.lowercased()
        return !lower.hasPrefix("requests/") && !lower.hasPrefix("ocsp/") && !lower.contains("crl") && !lower.contains("csr")
    }

    @Test func everyVectorLoadsOrFailsWithAReason() throws {
        let dir: String
        switch Self.vectors() {
        case .success(let d): dir = d
        case .failure(let why):
            // Outside CI a developer without the 126 MB package still gets a green run, with the reason.
            if Self.isCI { Issue.record("CI=true: \(why)") } else { print("skipped: \(why)") }
            return
        }
        let all = X509Loader.files(in: [dir])
        #expect(all.problems.isEmpty, "\(all.problems)")
        // Every file, whatever its extension, goes through the loader.
        let everything = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
        var parsed = 0, errors = 0, certificateFiles = 0, certificateFilesParsed = 0, certificates = 0
        var parsedByExtension: [String: Int] = [:]
        var unexplained: [String] = []
        var sampleErrors: [String] = []
        for relative in everything {
            let path = dir + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            // PKITS's PKCS#12 files use the password "password".
            let file = X509Loader.load(file: path, pkcs12Password: relative.hasSuffix(".p12") ? "password" : nil)
            certificates += file.certificates.count
            if file.certificates.isEmpty { errors += 1 } else {
                parsed += 1
                parsedByExtension[(relative as NSString).pathExtension.lowercased(), default: 0] += 1
            }
            if let problem = file.problem {
                if problem.reason.isEmpty || problem.path != path { unexplained.append(relative) }
                if sampleErrors.count < 40 && Self.isCertificateFile(relative) { sampleErrors.append("\(relative): \(problem.reason)") }
            }
            for c in file.certificates {
                // Every parsed certificate has what the report needs.
                if c.info.sha256.count != 64 || c.info.keyType.isEmpty || c.info.signatureAlgorithm.isEmpty { unexplained.append(relative) }
            }
            if Self.isCertificateFile(relative) {
                certificateFiles += 1
                if !file.certificates.isEmpty { certificateFilesParsed += 1 }
            }
        }
        print("cryptography-vectors x509/: \(everything.count) entries, \(parsed) files with certificates (\(certificates) certificates), \(errors) without; "
              + "certificate files: \(certificateFilesParsed)/\(certificateFiles) parsed; by extension \(parsedByExtension.sorted { $0.key < $1.key })\n  " + sampleErrors.joined(separator: "\n  "))
        #expect(unexplained.isEmpty, "problems without a reason or without the file: \(unexplained)")
        #expect(certificateFiles > 400, "expected PKITS and the custom vectors, found \(certificateFiles) certificate files")
        #expect(Double(certificateFilesParsed) > 0.8 * Double(certificateFiles), "only \(certificateFilesParsed)/\(certificateFiles) certificate files parsed")
        // PKITS ships each end entity as PKCS#12 too (password "password"): all of them open.
        #expect(parsedByExtension["p12"] == 405, "PKCS#12 files opened: \(parsedByExtension["p12"] ?? 0)/405")
        #expect(all.files.count > 1000, "the directory walk finds the .pem/.der/.crt/.p12 files: \(all.files.count)")
    }
}
