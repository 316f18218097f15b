/// A Google Cloud service-account key file (the JSON `gcloud iam service-accounts keys create`
/// writes): who signs (`client_email`), with which key (`private_key_id`, `private_key`), and where
/// it asks for tokens (`token_uri`). Read strictly and capped; an error names the field and what
/// was expected, never a value of the file.
public struct ServiceAccountKey: Sendable {
    public let clientEmail: String
    /// The key's id at Google (40 hex digits): the JWT header's `kid`.
    public let keyID: String
    /// The PEM labels of the unencrypted private keys OpenSSL signs with: PKCS#8, PKCS#1.
    static let pemLabels = ["PRIVATE KEY", "RSA PRIVATE KEY"]
    /// The PEM private key (PKCS#8 or PKCS#1), as the file holds it after JSON unescaping.
    public let privateKeyPEM: [UInt8]
    /// The token endpoint the key names, if any (checked against the probe's allowed hosts by the planner).
    public let tokenURI: String?

    /// A key file is about 2.3 KB; anything past 64 KiB is not one.
    public static let maxBytes = 64 * 1024

    public init(clientEmail: String, keyID: String, privateKeyPEM: [UInt8], tokenURI: String?) {
        self.clientEmail = clientEmail
        self.keyID = keyID
        self.privateKeyPEM = privateKeyPEM
        self.tokenURI = tokenURI
    }

    /// The key in `bytes`, or why it is not one.
    public static func decode(_ bytes: [UInt8]) -> Result<ServiceAccountKey, ServiceAccountKeyError> {
        guard bytes.count <= maxBytes else { return .failure(.init("the key file is \(bytes.count) bytes: at most \(maxBytes)")) }
        // The parser's own message may quote the input: only its verdict is kept.
        guard let tree = try? JSONTreeParser.parse(bytes, file: "key"), let members = tree.objectValue else {
            return .failure(.init("the key file is not a JSON object"))
        }
        var seen: Set<String> = []
        for member in members where !seen.insert(member.key).inserted {
            // Two parsers could read different keys or emails from it.
            return .failure(.init("the key file names a member twice"))
        }
        func text(_ name: String, max: Int) -> Result<String?, ServiceAccountKeyError> {
            guard let value = tree[name] else { return .success(nil) }
            guard let s = value.stringValue else { return .failure(.init("`\(name)` is \(value.typeName), expected a string")) }
            guard !s.isEmpty, s.utf8.count <= max else { return .failure(.init("`\(name)` must be 1 to \(max) bytes")) }
            return .success(s)
        }
        do {
            guard try text("type", max: 64).get() == "service_account" else {
                return .failure(.init("`type` is not \"service_account\" (a service-account key file is expected)"))
            }
            guard let email = try text("client_email", max: 320).get(), isEmail(email) else {
                return .failure(.init("`client_email` is missing or not an email address"))
            }
            guard let kid = try text("private_key_id", max: 128).get(), kid.utf8.allSatisfy(isKeyIDByte) else {
                return .failure(.init("`private_key_id` is missing or holds other characters than letters, digits, `-` and `_`"))
            }
            guard let key = try text("private_key", max: 16 * 1024).get(),
                  ServiceAccountKey.pemLabels.contains(where: { key.contains("-----BEGIN \($0)-----") }) else {
                return .failure(.init("`private_key` is missing or holds no unencrypted PEM private key"))
            }
            let uri = try text("token_uri", max: 2048).get()
            if let uri, !(uri.hasPrefix("https://") || uri.hasPrefix("http://")) {
                return .failure(.init("`token_uri` is not an http(s) URL"))
            }
            return .success(ServiceAccountKey(clientEmail: email, keyID: kid, privateKeyPEM: Array(key.utf8), tokenURI: uri))
        } catch {
            return .failure(error)
        }
    }

    /// `local@domain`, printable ASCII without spaces: it goes into the assertion's `iss` and `sub`.
    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    static func isKeyIDByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }
}

/// Why a service-account key file cannot be used; the message holds no value of the file.
public struct ServiceAccountKeyError: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
