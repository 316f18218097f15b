import CCurl
import RevenantCore

extension TrustAnchors {
    /// Sets a libcurl handle's CA file (CURLOPT_CAINFO) and directory (CURLOPT_CAPATH) to these; a
    /// nil one keeps libcurl's built-in default.
    func apply(to easy: UnsafeMutableRawPointer) {
        if let file { _ = rv_easy_setopt_string(easy, CURLOPT_CAINFO, file) }
        if let directory { _ = rv_easy_setopt_string(easy, CURLOPT_CAPATH, directory) }
    }
}
