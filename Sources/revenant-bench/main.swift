import Foundation
import RevenantCore
import RevenantFiles
import RevenantNet

/// Benchmark helpers that are not part of the shipped `revenant` binary (used by scripts/bench-certs.py).
///
///   revenant-bench crl CRL_FILE SERIALS_FILE
///     Loads one CRL, looks up every serial (hex, one per line), prints the counts.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("revenant-bench: \(message)\n".utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3, arguments[0] == "crl" else { fail("usage: revenant-bench crl CRL_FILE SERIALS_FILE") }
let (path, serials) = (arguments[1], arguments[2])
guard let bytes = FileBytes.read(path) else { fail("\(path): cannot read the file") }
guard let list = FileBytes.read(serials) else { fail("\(serials): cannot read the file") }
let crl: CertificateRevocationList
do throws(CRLError) { crl = try CertificateRevocationList(bytes: bytes) } catch { fail("\(path): \(error.reason)") }
var found = 0, looked = 0
for line in String(decoding: list, as: UTF8.self).split(whereSeparator: \.isNewline) where !line.isEmpty {
    looked += 1
    if crl.entry(serialHex: String(line)) != nil { found += 1 }
}
print("entries \(crl.entryCount) lookups \(looked) revoked \(found)")
