import COpenSSL
import Foundation
import RevenantCore
import RevenantFiles

/// Why a file gave no certificate, or only some of its certificates. A value, never a crash.
public struct CertificateLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Missing, not a regular file, too large, or not readable.
        case unreadable
        /// Readable, but holds no certificate (a PEM private key, a text file, ...).
        case notACertificate
        /// Looks like a certificate (PEM block, DER, PKCS#12) but OpenSSL cannot decode it.
        case malformed
        /// A PKCS#12 file whose password is missing or wrong.
        case password
    }

    public var code: Code
    public var path: String
    public var reason: String

    public init(_ code: Code, _ reason: String, path: String = "") {
        self.code = code
        self.reason = reason
        self.path = path
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// The certificates of one file (a chain's leaf first), and what went wrong reading it, if anything.
public struct CertificateFile {
    public var path: String
    public var certificates: [X509Certificate]
    /// Set when the file gave no certificate, or stopped part way (then `certificates` holds those before).
    public var problem: CertificateLoadError?
}

/// Reads certificates from PEM (one or a chain), DER and PKCS#12 files, and finds them in directories.
public enum X509Loader {
    /// File names a directory walk picks up (besides any file that starts with a PEM certificate).
    public static let extensions: Set<String> = ["pem", "crt", "cer", "der", "p12", "pfx"]
    /// Certificate files are small; a larger file is not read whole into memory.
    public static let maxFileSize = 16 << 20

    /// The files to read: named files as they are, directories walked recursively (sorted) for
    /// files with a certificate extension or a leading `-----BEGIN CERTIFICATE`.
    public static func files(in paths: [String]) -> (files: [String], problems: [CertificateLoadError]) {
        var files: [String] = []
        var problems: [CertificateLoadError] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(CertificateLoadError(.unreadable, "no such file or directory", path: path))
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            walk(path.hasSuffix("/") ? String(path.dropLast()) : path, into: &found, problems: &problems)
            files += found.sorted()
        }
        return (files, problems)
    }

    /// Appends the certificate files under `directory` (recursively) to `found`. readdir's d_type
    /// spares a stat per entry; symbolic links to files are read, to directories not followed, so a
    /// link loop cannot trap the walk. `spread`: the subdirectories walked on every core.
    static func walk(_ directory: String, into found: inout [String], problems: inout [CertificateLoadError], spread: Bool = true) {
        guard let dir = opendir(directory) else {
            problems.append(CertificateLoadError(.unreadable, "cannot read this directory", path: directory))
            return
        }
        var subdirectories: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let full = directory + "/" + name
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) {
                var info = stat()
                let isLink = type == UInt8(DT_LNK)
                guard (isLink ? stat(full, &info) : lstat(full, &info)) == 0 else { continue }
                let mode = info.st_mode & S_IFMT
                type = mode == S_IFREG ? UInt8(DT_REG) : (mode == S_IFDIR && !isLink ? UInt8(DT_DIR) : UInt8(DT_UNKNOWN))
            }
            if type == UInt8(DT_DIR) {
                subdirectories.append(full)
            } else if type == UInt8(DT_REG) {
                if extensions.contains(fileExtension(name)) || startsWithPEMCertificate(full) { found.append(full) }
            }
        }
        closedir(dir)
        // Fewer than two tasks' worth (ParallelMap's `minimumPerWorker` below): walked here, and spread further down.
        guard spread, subdirectories.count >= 16 else {
            for subdirectory in subdirectories { walk(subdirectory, into: &found, problems: &problems, spread: spread) }
            return
        }
        // A tree of many directories is walked on every core, a subdirectory per task; found and
        // problems joined in the order of a walk on one thread (the files are sorted afterwards anyway).
        let walked = ParallelMap.map(subdirectories, minimumPerWorker: 8) { subdirectory in
            var files: [String] = []
            var trouble: [CertificateLoadError] = []
            walk(subdirectory, into: &files, problems: &trouble, spread: false)
            return (files, trouble)
        }
        for (files, trouble) in walked {
            found += files
            problems += trouble
        }
    }

    /// `load(file:pkcs12Password:)` for every file, in order, spread over the machine's cores
    /// (OpenSSL decodes independent objects safely in parallel). `use` runs on the worker that read
    /// the file, as soon as it is read: what it keeps is all that outlives the file (a caller that
    /// only judges the certificates frees them on every core, not later on one). It must be safe to
    /// run on several threads at once (`ParallelMap.map`). Inlinable for the same reason as it.
    @inlinable
    public static func load<Kept>(files: [String], pkcs12Password: String? = nil, then use: (CertificateFile) -> Kept) -> [Kept] {
        ParallelMap.map(files) { use(load(file: $0, pkcs12Password: pkcs12Password)) }
    }

    /// Every certificate in `file`; `pkcs12Password` opens PKCS#12 files (nil: none or empty).
    public static func load(file: String, pkcs12Password: String? = nil) -> CertificateFile {
        switch FileBytes.readRegular(file, limit: maxFileSize) {
        case .success(let bytes):
            return load(bytes: bytes, path: file, pkcs12Password: pkcs12Password)
        case .failure(let problem):
            let reason = switch problem {
            case .missing(let why): why
            case .notRegular: "not a regular file"
            case .tooLarge: "larger than \(maxFileSize >> 20) MiB: not read as a certificate"
            case .unreadable: "cannot read the file"
            }
            return CertificateFile(path: file, certificates: [], problem: CertificateLoadError(.unreadable, reason, path: file))
        }
    }

    /// Every certificate in `bytes` (PEM, DER or PKCS#12, told apart by content; the name only decides
    /// whether a PKCS#12 error or a DER error is the one worth reporting).
    public static func load(bytes: [UInt8], path: String, pkcs12Password: String? = nil) -> CertificateFile {
        var (certificates, problem) = decode(bytes, isPKCS12Name: ["p12", "pfx"].contains(fileExtension(path)), password: pkcs12Password)
        ERR_clear_error()
        problem?.path = path
        return CertificateFile(path: path, certificates: certificates, problem: problem)
    }

    static func decode(_ bytes: [UInt8], isPKCS12Name: Bool, password: String?) -> ([X509Certificate], CertificateLoadError?) {
        if bytes.isEmpty { return ([], CertificateLoadError(.notACertificate, "empty file")) }
        if bytes.count > maxFileSize {
            return ([], CertificateLoadError(.unreadable, "larger than \(maxFileSize >> 20) MiB: not read as a certificate"))
        }
        if isPEM(bytes) { return pem(bytes) }
        if isPKCS12Name { return pkcs12(bytes, password: password) }
        if let certificate = der(bytes) { return certificate }
        let derError = openSSLErrors()
        if isPKCS12(bytes) { return pkcs12(bytes, password: password) }
        return ([], CertificateLoadError(.notACertificate, "neither PEM, a DER certificate nor PKCS#12 (OpenSSL: \(derError))"))
    }

    // MARK: formats

    /// `plainBlocks`: false only to hold the plain reader against OpenSSL's (X509ReaderCrossCheck).
    static func pem(_ bytes: [UInt8], plainBlocks: Bool = true) -> ([X509Certificate], CertificateLoadError?) {
        // Plain certificate blocks of certificates X509FastReader reads: no OpenSSL at all.
        if plainBlocks, let blocks = PEMCertificateBlocks.blocks(bytes) {
            let certificates = blocks.compactMap(X509Certificate.fast)
            if certificates.count == blocks.count { return (certificates, nil) }
        }
        var certificates: [X509Certificate] = []
        var problem: CertificateLoadError?
        bytes.withUnsafeBytes { buffer in
            // BIO_new_mem_buf does not copy: the BIO lives only inside this closure.
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                problem = CertificateLoadError(.malformed, "OpenSSL could not allocate a buffer")
                return
            }
            defer { BIO_free(bio) }
            var block = 0
            while true {
                var name: UnsafeMutablePointer<CChar>?
                var header: UnsafeMutablePointer<CChar>?
                var data: UnsafeMutablePointer<UInt8>?
                var length = 0
                guard PEM_read_bio(bio, &name, &header, &data, &length) == 1 else {
                    let last = ERR_peek_last_error()
                    if ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE {
                        ERR_clear_error()  // the normal end: no further block
                    } else {
                        problem = CertificateLoadError(.malformed, "PEM certificate block \(certificates.count + 1) cannot be decoded (OpenSSL: \(openSSLErrors()))")
                    }
                    return
                }
                defer {
                    revenant_OPENSSL_free(name)
                    revenant_OPENSSL_free(header)
                    revenant_OPENSSL_free(data)
                }
                block += 1
                // The labels PEM_read_bio_X509_AUX reads ("TRUSTED CERTIFICATE": the certificate, then
                // trust settings revenant ignores); other blocks (keys, CSRs) are skipped.
                let label = name.map { String(cString: $0) } ?? ""
                guard ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"].contains(label) else { continue }
                let contents = UnsafeBufferPointer(start: data, count: data == nil ? 0 : length)
                // The plain profile without OpenSSL (X509FastReader); anything else as before.
                if length > 0, let certificate = X509Certificate.fast(Array(contents)) {
                    certificates.append(certificate)
                    continue
                }
                guard length > 0, case let (x509, encoding)? = X509FastDecoder.decode(contents) else {
                    problem = CertificateLoadError(.malformed, "PEM certificate block \(certificates.count + 1) cannot be decoded (OpenSSL: \(openSSLErrors()))")
                    return
                }
                do throws(CertificateLoadError) {
                    certificates.append(try X509Certificate(taking: x509, der: encoding))
                } catch {
                    problem = CertificateLoadError(error.code, "certificate \(certificates.count + 1): \(error.reason)")
                    return
                }
            }
        }
        if certificates.isEmpty && problem == nil {
            let labels = pemLabels(bytes)
            problem = CertificateLoadError(.notACertificate, "no CERTIFICATE block in this PEM file (found: \(labels.isEmpty ? "nothing" : labels.joined(separator: ", ")))")
        }
        return (certificates, problem)
    }

    static func der(_ bytes: [UInt8]) -> ([X509Certificate], CertificateLoadError?)? {
        if let certificate = X509Certificate.fast(bytes) { return ([certificate], nil) }
        return bytes.withUnsafeBufferPointer { buffer -> ([X509Certificate], CertificateLoadError?)? in
            guard case let (x509, encoding)? = X509FastDecoder.decode(buffer) else { return nil }
            do throws(CertificateLoadError) {
                return ([try X509Certificate(taking: x509, der: encoding)], nil)
            } catch {
                return ([], error)
            }
        }
    }

    static func isPKCS12(_ bytes: [UInt8]) -> Bool {
        guard let p12 = d2iPKCS12(bytes) else {
            ERR_clear_error()
            return false
        }
        PKCS12_free(p12)
        return true
    }

    static func d2iPKCS12(_ bytes: [UInt8]) -> OpaquePointer? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PKCS12(nil, &cursor, buffer.count)
        }
    }

    static func pkcs12(_ bytes: [UInt8], password: String?) -> ([X509Certificate], CertificateLoadError?) {
        guard let p12 = d2iPKCS12(bytes) else {
            return ([], CertificateLoadError(.malformed, "not a PKCS#12 file (OpenSSL: \(openSSLErrors()))"))
        }
        defer { PKCS12_free(p12) }
        // Which password opens it: the one given, else none or the empty one (both are in use).
        var pass = password
        if PKCS12_mac_present(p12) == 1 {
            let candidates: [String?] = password.map { [$0] } ?? [nil, ""]
            let verifies = { (candidate: String?) in
                withOptionalCString(candidate) { PKCS12_verify_mac(p12, $0, candidate == nil ? 0 : -1) } == 1
            }
            guard let found = candidates.first(where: verifies) else {
                ERR_clear_error()
                return ([], CertificateLoadError(.password, password == nil
                    ? "PKCS#12 file is protected by a password, and none was given"
                    : "the PKCS#12 password is wrong (MAC verification failed)"))
            }
            pass = found
        }
        var parsed = parse(p12, password: pass)
        if parsed == nil, legacyProviderLoaded {
            // RC2-40 and 3DES PKCS#12 files (older OpenSSL, Windows) need the legacy provider.
            ERR_clear_error()
            parsed = parse(p12, password: pass)
        }
        guard let parsed else {
            return ([], CertificateLoadError(.malformed, "cannot decrypt the PKCS#12 contents (OpenSSL: \(openSSLErrors()))"))
        }
        if parsed.isEmpty { return ([], CertificateLoadError(.notACertificate, "the PKCS#12 file holds no certificate")) }
        return (parsed, nil)
    }

    /// The certificate matching the private key first, then the others; the private key is freed at once.
    static func parse(_ p12: OpaquePointer, password: String?) -> [X509Certificate]? {
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        var others: OpaquePointer?
        let ok = withOptionalCString(password) { PKCS12_parse(p12, $0, &key, &certificate, &others) }
        EVP_PKEY_free(key)
        guard ok == 1 else { return nil }
        var raw: [OpaquePointer] = certificate.map { [$0] } ?? []
        if let others {
            for i in 0..<OPENSSL_sk_num(others) {
                guard let x = OPENSSL_sk_value(others, i) else { continue }
                let x509 = OpaquePointer(x)
                X509_up_ref(x509)  // the stack's reference is dropped below; this one goes to the wrapper
                raw.append(x509)
            }
            revenant_sk_X509_pop_free(others)
        }
        var out: [X509Certificate] = []
        for x509 in raw {
            if let c = try? X509Certificate(taking: x509) { out.append(c) }
        }
        return out
    }

    /// Loading any provider explicitly stops OpenSSL from loading the default one implicitly, so
    /// both are loaded, once per process and only when a PKCS#12 file needs it.
    static let legacyProviderLoaded: Bool = {
        let defaultProvider = OSSL_PROVIDER_load(nil, "default")
        let legacyProvider = OSSL_PROVIDER_load(nil, "legacy")
        ERR_clear_error()
        return defaultProvider != nil && legacyProvider != nil
    }()

    // MARK: helpers

    /// Drains OpenSSL's error queue into one line of distinct reasons.
    static func openSSLErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(String(code, radix: 16))"
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return reasons.isEmpty ? "no detail" : reasons.prefix(3).joined(separator: "; ")
    }

    static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }

    /// The lower-cased extension of a path's last component ("" for none, and for a name that only
    /// starts with a dot): read from the text, without Foundation's URL (a `getcwd` and a `stat`).
    static func fileExtension(_ path: String) -> String {
        let bytes = path.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: "/") { end = bytes.index(before: end) }
        let start = bytes[..<end].lastIndex(of: UInt8(ascii: "/")).map { bytes.index(after: $0) } ?? bytes.startIndex
        let name = bytes[start..<end]
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex else { return "" }
        return String(decoding: name[name.index(after: dot)...], as: UTF8.self).lowercased()
    }

    /// PEM text (some `-----BEGIN ` armour), as opposed to DER.
    public static func isPEM(_ bytes: [UInt8]) -> Bool { contains(bytes, "-----BEGIN ") }

    static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard bytes.count >= n.count else { return false }
        return bytes.withUnsafeBufferPointer { b in
            var i = 0
            while i <= b.count - n.count {
                if b[i] == n[0], b[i..<i + n.count].elementsEqual(n) { return true }
                i += 1
            }
            return false
        }
    }

    /// The labels of the PEM blocks in a file ("PRIVATE KEY", "CERTIFICATE REQUEST", ...).
    static func pemLabels(_ bytes: [UInt8]) -> [String] {
        var labels: [String] = []
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("-----BEGIN ") {
            let label = line.dropFirst(11).prefix { $0 != "-" }
            if !labels.contains(String(label)) { labels.append(String(label)) }
        }
        return labels
    }

    static func startsWithPEMCertificate(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        let text = String(decoding: head, as: UTF8.self).drop { $0.isWhitespace }
        return text.hasPrefix("-----BEGIN CERTIFICATE")
    }
}
