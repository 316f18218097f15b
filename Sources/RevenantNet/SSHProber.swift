import CLibSSH
import Foundation
import RevenantCore

/// Tries one SSH login (public key or password) with libssh, and nothing more: no channel is
/// opened and no command runs. docs/protocols/ssh.md says why libssh and what each answer means.
///
/// Order of an attempt (RFC 4253 §7–8, RFC 4252): key exchange, then the server's host key is
/// compared with the pinned SHA-256 fingerprint; only if it matches is anything of the credential
/// sent. Then `none` (for the server's list of methods), then the credential's method.
public struct SSHProber: LoginProber {
    public init() {}

    /// `ssh_init` once per process, before the first session (libssh's crypto backend setup).
    private static let libraryReady: Bool = ssh_init() == SSH_OK

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard Self.libraryReady else { return .failure(TransportFailure(kind: .other, message: "libssh could not be initialised")) }
        guard let login = request.login else {
            return .failure(TransportFailure(kind: .other, message: "an SSH probe needs a login (user and key or password)"))
        }
        guard let endpoint = LoginEndpoint(request, defaultPort: 22) else { return .failure(LoginEndpoint.refused) }
        guard let pin = request.hostKeySHA256.flatMap(Self.pinnedDigest) else {
            return .failure(TransportFailure(kind: .refusedHost, message: "the SSH host key is not pinned (`host_key_sha256`): nothing sent"))
        }
        // The key is read before connecting: a key that cannot be used is not worth a connection.
        var key: SSHKey?
        // A certificate's key alone, tried when the certificate is refused: the key may be
        // authorized as it is (authorized_keys), and then the secret still opens the account
        // whatever became of its certificate (found by an adversarial run: revocation_verified
        // while `ssh -i` logged in with the bare key).
        var bareKey: SSHKey?
        switch login.method {
        case .privateKey:
            // A private key file is text (OpenSSH or PEM); bytes that are not UTF-8 are no key libssh reads.
            guard let text = login.secret.text else {
                return .failure(TransportFailure(kind: .other, message: "the private key is not text (not an OpenSSH or PEM private key): nothing sent"))
            }
            switch SSHKey.importPrivate(text) {
            case .success(let k): key = k
            case .failure(let failure): return .failure(failure)
            }
            if let certificate = login.certificate, let key {
                if let failure = key.attachCertificate(certificate) { return .failure(failure) }
                if case .success(let k) = SSHKey.importPrivate(text) { bareKey = k }
            }
        case .generatedKey:
            guard let k = SSHKey.generateEd25519() else {
                return .failure(TransportFailure(kind: .other, message: "could not generate an Ed25519 key for the negative control"))
            }
            key = k
        case .password:
            break
        }
        guard let session = SSHSession(endpoint: endpoint, user: login.user, timeout: request.timeout) else {
            return .failure(TransportFailure(kind: .other, message: "libssh could not create a session"))
        }
        if let failure = session.connect() { return .failure(failure) }
        if let failure = session.checkHostKey(pinnedDigest: pin) { return .failure(failure) }
        let result = session.authenticate(key: key, password: login.method == .password ? login.secret : nil)
        guard login.certificate != nil, case .failure(let refusal) = result, refusal.kind == .loginDenied else { return result }
        guard let bareKey else {
            return .failure(TransportFailure(kind: .other, message: "\(refusal.message) for the certificate; its key alone could not be read to try it"))
        }
        switch session.tryKey(bareKey) {
        case .success: return .success(.loginAccepted("the certificate was refused, its key alone accepted (publickey): the key is authorized as it is"))
        case .failure(let alone) where alone.kind == .loginDenied: return result
        case .failure(let alone):
            return .failure(TransportFailure(kind: .other, message: "the certificate was refused, and its key alone could not be tried: \(alone.message)"))
        }
    }

    /// The 32-byte digest of a `SHA256:<43 base64>` pin (prefix optional), or nil if malformed.
    static func pinnedDigest(_ pin: String) -> [UInt8]? {
        var text = pin.hasPrefix("SHA256:") ? String(pin.dropFirst(7)) : pin
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), data.count == 32 else { return nil }
        return [UInt8](data)
    }

    /// `SHA256:` + unpadded base64, as `ssh-keygen -lf` prints a fingerprint.
    static func fingerprint(_ digest: [UInt8]) -> String {
        var b64 = Data(digest).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }
}

/// One libssh key (`ssh_key`), freed when this owner goes.
final class SSHKey {
    let raw: OpaquePointer

    private init(_ raw: OpaquePointer) { self.raw = raw }

    deinit { ssh_key_free(raw) }

    /// A private key from its text (OpenSSH or PEM), read in memory: no temporary file. An
    /// encrypted key is not tried (revenant takes no passphrases): inconclusive.
    static func importPrivate(_ text: String) -> Result<SSHKey, TransportFailure> {
        if PrivateKeyText.isEncrypted(text) {
            return .failure(TransportFailure(kind: .other, message: "encrypted private key: revenant does not take passphrases, nothing sent"))
        }
        var key: OpaquePointer?
        // No passphrase and no prompt callback: libssh fails instead of asking anyone.
        let rc = text.withCString { ssh_pki_import_privkey_base64($0, nil, nil, nil, &key) }
        guard rc == SSH_OK, let key else {
            return .failure(TransportFailure(kind: .other, message: "the private key could not be read (not an OpenSSH or PEM private key libssh knows): nothing sent"))
        }
        return .success(SSHKey(key))
    }

    /// Attaches an OpenSSH user certificate (`-cert.pub` text) so that the public-key login
    /// presents the certificate (PROTOCOL.certkeys); nil when done. libssh refuses a certificate
    /// of another key: then nothing is sent.
    func attachCertificate(_ file: [UInt8]) -> TransportFailure? {
        // The first line that is not blank or a comment, as the planner read it (SSHCertificate.parse(file:)).
        let line = String(decoding: file, as: UTF8.self).split(whereSeparator: \.isNewline)
            .first { !$0.allSatisfy(\.isWhitespace) && !$0.drop { $0.isWhitespace }.hasPrefix("#") } ?? ""
        let words = line.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2 else {
            return TransportFailure(kind: .other, message: "the SSH certificate is not `TYPE BASE64`: nothing sent")
        }
        let type = String(words[0]).withCString { ssh_key_type_from_name($0) }
        var cert: OpaquePointer?
        let rc = String(words[1]).withCString { ssh_pki_import_cert_base64($0, type, &cert) }
        guard rc == SSH_OK, let cert else {
            return TransportFailure(kind: .other, message: "libssh could not read the SSH certificate (type \(ServerText.quote(words[0]))): nothing sent")
        }
        defer { ssh_key_free(cert) }
        guard ssh_pki_copy_cert_to_privkey(cert, raw) == SSH_OK else {
            return TransportFailure(kind: .other, message: "the SSH certificate does not certify this private key: nothing sent")
        }
        return nil
    }

    /// The SHA-256 digest of a key's public blob, as OpenSSH fingerprints it.
    static func sha256(of key: OpaquePointer) -> [UInt8]? {
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, let bytes = hash else { return nil }
        defer { ssh_clean_pubkey_hash(&hash) }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    /// A fresh Ed25519 key, never authorised anywhere: the negative control of key logins.
    static func generateEd25519() -> SSHKey? {
        var key: OpaquePointer?
        guard ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK, let key else { return nil }
        return SSHKey(key)
    }
}

/// Facts about private-key text that decide whether libssh is given it at all.
enum PrivateKeyText {
    /// PEM `Proc-Type: 4,ENCRYPTED` or an encrypted PKCS#8 armour, or an OpenSSH key
    /// (`openssh-key-v1`, PROTOCOL.key in OpenSSH's sources) whose cipher name is not `none`.
    static func isEncrypted(_ text: String) -> Bool {
        if text.contains("ENCRYPTED") { return true }
        let (begin, end) = armour("OPENSSH")
        guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else { return false }
        let body = text[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else { return false }
        let bytes = [UInt8](data)
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard bytes.count >= magic.count + 4, Array(bytes[0..<magic.count]) == magic else { return false }
        var i = magic.count
        let length = bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
        i += 4
        guard length >= 0, i + length <= bytes.count else { return false }
        return bytes[i..<i + length].elementsEqual("none".utf8) == false
    }

    /// The PEM armour lines of a `label` private key. Assembled from parts, so that no complete key
    /// header stands in the sources (a scanner for committed keys takes one for a key).
    static func armour(_ label: String) -> (begin: String, end: String) {
        let name = "\(label) PRIVATE" + " KEY"
        return ("-----BEGIN \(name)-----", "-----END \(name)-----")
    }
}

/// One libssh session (one connection), disconnected and freed when this owner goes. Each
/// attempt has its own: libssh sessions must not be shared between threads.
final class SSHSession {
    private let raw: OpaquePointer
    private var connected = false

    init?(endpoint: LoginEndpoint, user: String, timeout: Timeout) {
        guard let raw = ssh_new() else { return nil }
        var ok = true
        func set(_ option: ssh_options_e, _ value: UnsafeRawPointer) { ok = ok && ssh_options_set(raw, option, value) == SSH_OK }
        // No ~/.ssh/config, no known_hosts read or written (the pin replaces them), no logging.
        var processConfig = false
        set(SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
        "/dev/null".withCString { set(SSH_OPTIONS_KNOWNHOSTS, $0); set(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, $0) }
        var verbosity = Int32(SSH_LOG_NOLOG)
        set(SSH_OPTIONS_LOG_VERBOSITY, &verbosity)
        endpoint.host.withCString { set(SSH_OPTIONS_HOST, $0) }
        var port = UInt32(endpoint.port)
        set(SSH_OPTIONS_PORT, &port)
        user.withCString { set(SSH_OPTIONS_USER, $0) }
        // Applies to the TCP connect and to every wait for the server's next packet.
        let timeout = timeout.seconds
        var seconds = Int(timeout.rounded(.down))
        var micros = Int((timeout - Double(seconds)) * 1_000_000)
        set(SSH_OPTIONS_TIMEOUT, &seconds)
        set(SSH_OPTIONS_TIMEOUT_USEC, &micros)
        // Freed here, before `self.raw` is set: a failed init must not reach `deinit`.
        guard ok else {
            ssh_free(raw)
            return nil
        }
        self.raw = raw
    }

    deinit {
        if connected { ssh_disconnect(raw) }
        ssh_free(raw)
    }

    private var error: String { String(cString: ssh_get_error(UnsafeMutableRawPointer(raw))) }

    /// TCP connect and key exchange; nil when both worked.
    func connect() -> TransportFailure? {
        guard ssh_connect(raw) == SSH_OK else {
            let text = error
            let lower = text.lowercased()
            let kind: TransportFailure.Kind = lower.contains("timeout") || lower.contains("timed out") ? .timeout
                : lower.contains("refused") || lower.contains("unreachable") || lower.contains("failed to connect") ? .connect : .other
            return TransportFailure(kind: kind, message: "SSH connection failed: \(ServerText.quote(text))")
        }
        connected = true
        return nil
    }

    /// nil when the server's host key has the pinned SHA-256 digest; else the refusal, and the
    /// caller sends nothing more.
    func checkHostKey(pinnedDigest: [UInt8]) -> TransportFailure? {
        var key: OpaquePointer?
        guard ssh_get_server_publickey(raw, &key) == SSH_OK, let key else {
            return TransportFailure(kind: .refusedHost, message: "the server's host key could not be read: nothing sent")
        }
        defer { ssh_key_free(key) }
        guard let digest = SSHKey.sha256(of: key) else {
            return TransportFailure(kind: .refusedHost, message: "the server's host key could not be hashed: nothing sent")
        }
        guard digest == pinnedDigest else {
            let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? "unknown type"
            return TransportFailure(kind: .refusedHost,
                                    message: "host key \(SSHProber.fingerprint(digest)) (\(type)) is not the pinned one: nothing sent")
        }
        return nil
    }

    /// `none` first (RFC 4252 §5.2: the answer lists the methods that can continue), then the
    /// key or the password. Success ends the session at once: no channel, no command.
    func authenticate(key: SSHKey?, password: Secret?) -> ProbeResult {
        let none = ssh_userauth_none(raw, nil)
        if none == SSH_AUTH_SUCCESS.rawValue {
            return .success(.loginAccepted("the server let the user in without any credential (none)"))
        }
        guard none == SSH_AUTH_DENIED.rawValue || none == SSH_AUTH_PARTIAL.rawValue else { return .failure(stepFailure("none")) }
        let methods = UInt32(bitPattern: ssh_userauth_list(raw, nil))
        let rc: Int32
        let method: String
        if let key {
            method = "publickey"
            guard methods & SSH_AUTH_METHOD_PUBLICKEY != 0 else {
                // The server never judged the key (OpenSSH lists the same methods for unknown users).
                return .failure(TransportFailure(kind: .other, message: "the server takes no public-key logins (it offers: \(Self.names(methods))): the key was not tried"))
            }
            rc = ssh_userauth_publickey(raw, nil, key.raw)
        } else {
            method = "password"
            guard methods & SSH_AUTH_METHOD_PASSWORD != 0 else {
                if methods & SSH_AUTH_METHOD_INTERACTIVE != 0 {
                    return .failure(TransportFailure(kind: .other, message: "the server takes passwords only through keyboard-interactive, which revenant does not answer"))
                }
                return .failure(TransportFailure(kind: .other, message: "the server takes no password logins (it offers: \(Self.names(methods))): the password was not tried"))
            }
            rc = (password ?? Secret("")).withCString { ssh_userauth_password(raw, nil, $0) }
        }
        switch rc {
        case SSH_AUTH_SUCCESS.rawValue:
            return .success(.loginAccepted("\(method) accepted"))
        case SSH_AUTH_DENIED.rawValue:
            // libssh also says DENIED for refusals of its own, without asking the server (a key
            // type its settings do not allow): only the server's USERAUTH_FAILURE ("Access denied
            // for '…'") judged the credential.
            let detail = error
            guard detail.hasPrefix("Access denied") else {
                return .failure(TransportFailure(kind: .other, message: "\(method) not tried by the server: \(ServerText.quote(detail))"))
            }
            return .failure(TransportFailure(kind: .loginDenied, message: "Permission denied (\(method))"))
        case SSH_AUTH_PARTIAL.rawValue:
            // The credential is still accepted as one factor; the server wants another. Not a rejection.
            return .failure(TransportFailure(kind: .other, message: "\(method) accepted as one factor only (partial success): the server wants \(Self.names(UInt32(bitPattern: ssh_userauth_list(raw, nil)))) as well"))
        default:
            return .failure(stepFailure(method))
        }
    }

    /// One more public-key login on this session (after a refusal: sshd allows several tries).
    func tryKey(_ key: SSHKey) -> Result<Void, TransportFailure> {
        let rc = ssh_userauth_publickey(raw, nil, key.raw)
        switch rc {
        case SSH_AUTH_SUCCESS.rawValue: return .success(())
        case SSH_AUTH_DENIED.rawValue where error.hasPrefix("Access denied"):
            return .failure(TransportFailure(kind: .loginDenied, message: "Permission denied (publickey)"))
        case SSH_AUTH_PARTIAL.rawValue:
            return .failure(TransportFailure(kind: .other, message: "the key alone is accepted as one factor only (partial success)"))
        default:
            return .failure(stepFailure("publickey"))
        }
    }

    private func stepFailure(_ method: String) -> TransportFailure {
        let text = error
        let kind: TransportFailure.Kind = text.lowercased().contains("timeout") || text.lowercased().contains("timed out") ? .timeout : .other
        return TransportFailure(kind: kind, message: "SSH \(method) authentication did not complete: \(text.isEmpty ? "no answer" : ServerText.quote(text))")
    }

    static func names(_ methods: UInt32) -> String {
        let all: [(UInt32, String)] = [
            (SSH_AUTH_METHOD_PUBLICKEY, "publickey"), (SSH_AUTH_METHOD_PASSWORD, "password"),
            (SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"), (SSH_AUTH_METHOD_HOSTBASED, "hostbased"),
            (SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"),
        ]
        let offered = all.filter { methods & $0.0 != 0 }.map(\.1)
        return offered.isEmpty ? "nothing" : offered.joined(separator: ", ")
    }
}
