import Foundation
import RevenantCore

extension TrustAnchors {
    /// This process's trusted CAs: `caBundle` (`tls.ca_bundle`), else `SSL_CERT_FILE` / `SSL_CERT_DIR`
    /// of its environment, else the libraries' defaults.
    static func process(caBundle: String?) -> TrustAnchors {
        resolve(caBundle: caBundle, environment: ProcessInfo.processInfo.environment)
    }
}

extension Configuration {
    /// The CAs every TLS path of a run trusts (`TrustAnchors.process`).
    var trustAnchors: TrustAnchors { .process(caBundle: caBundle) }
}
