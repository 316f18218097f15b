import Foundation
import RevenantCore
import RevenantEngine
import RevenantNet

/// The `x509_certificate` credentials of inventories, by the SHA-256 of their certificate: how
/// `revenant certs --inventory` knows what a scanned or served certificate is believed to be.
public struct CertificateInventory {
    var bySHA256: [String: Credential] = [:]
    /// Certificates the inventory names but that could not be read, for warnings.
    public private(set) var problems: [String] = []

    public init(_ inventory: Inventory) {
        for credential in inventory.credentials where credential.kind == .x509Certificate {
            guard let path = credential.certificate?.certificate else { continue }
            let file = X509Loader.load(file: path)
            guard let leaf = file.certificates.first else {
                problems.append("\(credential.location): `\(credential.id)`: certificate \(path): \(file.problem?.reason ?? "no certificate in it")")
                continue
            }
            // Two entries for one certificate (e.g. its history): the should-be-dead one speaks
            // loudest, so a rotation is never hidden behind an older `active` entry.
            if let known = bySHA256[leaf.info.sha256], !credential.state.shouldBeDead || known.state.shouldBeDead { continue }
            bySHA256[leaf.info.sha256] = credential
        }
    }

    /// The inventory's credential for a certificate with this SHA-256 (lower-case hex), if any.
    public func credential(sha256: String) -> Credential? { bySHA256[sha256] }

    public var count: Int { bySHA256.count }
}
