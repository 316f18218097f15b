import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantNet

/// Seals for the evidence ledger (DESIGN.md §11, docs/evidence.md "Sealing"): `LEDGER.seal` states
/// the ledger's head (`SealStatement`), `LEDGER.seal.sig` holds the raw 64-byte Ed25519 signature of
/// that file's bytes. `evidence seal` and `verify --seal-key` write them; `evidence verify
/// --public-key` checks them, and so does `openssl pkeyutl -verify -rawin` with no revenant.
public enum EvidenceSeal {
    /// A PEM Ed25519 key is about 120 bytes: a key file is read up to this, never whole.
    static let keyFileLimit = 64 << 10

    public static func statementPath(ledger: String) -> String { ledger + ".seal" }
    public static func signaturePath(ledger: String) -> String { ledger + ".seal.sig" }
    /// The RFC 3161 time-stamp over `LEDGER.seal.sig` (`--tsa`): the TSA's DER TimeStampResp.
    public static func timestampPath(ledger: String) -> String { ledger + ".seal.tsr" }

    /// The signing key in `file`, checked usable (it signs); an input error (exit 2) names the file otherwise.
    public static func signingKey(file: String) throws(InputFailure) -> SealSigningKey {
        var bytes = try keyBytes(file)
        do { return try SealSigningKey(pem: &bytes, file: file) } catch { throw InputFailure([error.message]) }
    }

    /// The public key in `file`; an input error (exit 2) names the file otherwise.
    public static func verifyingKey(file: String) throws(InputFailure) -> SealVerifyingKey {
        let bytes = try keyBytes(file)
        do { return try SealVerifyingKey(pem: bytes, file: file) } catch { throw InputFailure([error.message]) }
    }

    /// The TSA's CA certificates (`--tsa-ca`), read up to 1 MiB.
    public static func caBytes(_ file: String) throws(InputFailure) -> [UInt8] {
        let bytes = try inputBytes(file, limit: 1 << 20, size: "1 MiB", kind: "a CA certificate file", contents: "the CA certificates")
        guard bytes.starts(with: Array("-----BEGIN CERTIFICATE-----".utf8)) || String(decoding: bytes, as: UTF8.self).contains("\n-----BEGIN CERTIFICATE-----") else {
            throw InputFailure(["\(file): no PEM certificate (-----BEGIN CERTIFICATE-----) in it: not a CA certificate file"])
        }
        return bytes
    }

    static func keyBytes(_ file: String) throws(InputFailure) -> [UInt8] {
        try inputBytes(file, limit: keyFileLimit, size: "\(keyFileLimit >> 10) KiB", kind: "a PEM key file", contents: "the key")
    }

    /// A file given on the command line, read up to `limit`; an input error (exit 2) names it otherwise.
    static func inputBytes(_ file: String, limit: Int, size: String, kind: String, contents: String) throws(InputFailure) -> [UInt8] {
        switch FileBytes.read(file, limit: limit) {
        case .success(let bytes): return bytes
        case .failure(.tooLarge): throw InputFailure(["\(file): larger than \(size): not \(kind)"])
        case .failure(.unreadable(let why)): throw InputFailure(["\(file): cannot read \(contents) (\(why))"])
        }
    }

    // MARK: Sealing

    /// Seals the ledger at `path` (`evidence seal`), holding its append lock meanwhile: a run
    /// appending to it is refused, not sealed half-way.
    public static func seal(ledger path: String, key: SealSigningKey, tsa: String? = nil) -> SealResult {
        do throws(LedgerError) {
            return try EvidenceLedger.whileLocked(path: path) { seal(path: path, key: key, head: nil, tsa: tsa) }
        } catch {
            return .failed(error.message)
        }
    }

    /// Seals what a run wrote (`verify --seal-key`), while the run still holds the ledger: the
    /// statement's head must be the head the run wrote last.
    public static func seal(_ ledger: EvidenceLedger, key: SealSigningKey, tsa: String? = nil) -> SealResult {
        ledger.flush()
        return withExtendedLifetime(ledger) { seal(path: ledger.path, key: key, head: ledger.writtenHead, tsa: tsa) }
    }

    /// The end of `verify --ledger L --seal-key K`: seals the run's ledger. A seal that cannot be made
    /// makes the run incomplete (exit 3), and the report says why; the message is returned to show it.
    public static func seal(_ ledger: EvidenceLedger, key: SealSigningKey, tsa: String? = nil, report: inout RunReport) -> String? {
        let why: String
        switch seal(ledger, key: key, tsa: tsa) {
        case .sealed: return nil
        case .sealedWithoutTimestamp(_, let reason): why = "\(ledger.path): sealed, but not time-stamped: \(reason)"
        case .broken(.broken(let line, _, let reason)):
            why = "\(ledger.path): not sealed: " + (line > 0 ? "the chain is broken at line \(line): \(reason)" : reason)
        case .broken: why = "\(ledger.path): not sealed: the ledger cannot be read"
        case .failed(let reason): why = "not sealed: \(reason)"
        }
        report.markIncomplete(because: why)
        return why
    }

    static func seal(path: String, key: SealSigningKey, head: String?, tsa: String?) -> SealResult {
        let (verification, sealed) = EvidenceLedger.survey(path: path, head: head)
        guard let sealed else {
            if case .unreadable(let why) = verification { return .failed(why) }
            return .broken(verification)
        }
        let statement: SealStatement
        do { statement = try sealed.statement(ledger: fileName(path), key: key.keyID) } catch { return .failed("\(path): \(error.message)") }
        let bytes = Array(statement.text.utf8)
        guard let signature = key.sign(bytes) else { return .failed("\(path): OpenSSL could not sign the seal") }
        // The stamp is asked for before anything is written: the ledger stays locked meanwhile.
        let stamp = tsa.map { TimestampAuthority.stamp(signature, url: $0, fetcher: RevocationFetcher(trust: .process(caBundle: nil))) }
        // The statement first: between the renames a check fails (new statement, old signature or
        // stamp); it never passes an old pair. A stamp over an earlier signature is removed.
        var files = [(statementPath(ledger: path), bytes), (signaturePath(ledger: path), signature)]
        if case .success(let reply) = stamp { files.append((timestampPath(ledger: path), reply)) }
        for (file, content) in files {
            if let why = replace(file, with: content) { return .failed("\(file): cannot write the seal (\(why))") }
        }
        let stamped = if case .success = stamp { true } else { false }
        if !stamped {
            let old = timestampPath(ledger: path)
            if unlink(old) != 0, errno != ENOENT { return .failed("\(old): cannot remove the time-stamp of the earlier seal (\(String(cString: strerror(errno))))") }
        }
        if case .failure(let failure) = stamp { return .sealedWithoutTimestamp(statement, failure.message) }
        return .sealed(statement)
    }

    /// Writes `bytes` beside `path` and renames the copy over it once on disk: a reader sees the old
    /// file or the new one, never half of one. nil, or why it could not.
    static func replace(_ path: String, with bytes: [UInt8]) -> String? {
        let temporary = path + ".partial-\(getpid())"
        unlink(temporary)
        // O_EXCL: a link planted at the temporary name is not followed.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure: String?
        var done = 0
        while done < bytes.count, failure == nil {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { failure = String(cString: strerror(errno)) } else { done += n }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        guard failure == nil else { unlink(temporary); return failure }
        // The rename itself on disk: the directory's entry, too.
        let directory = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 { _ = fsync(directory); close(directory) }
        return nil
    }

    static func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    // MARK: Checking

    /// `evidence verify --public-key`: the chain (as `EvidenceLedger.verify`, with `head` if given),
    /// then the seal: its signature under `key`, that it is this ledger's, and that the ledger's first
    /// records are exactly those it states. Records after the sealed ones fail the check unless
    /// `allowAppended` (then the result says how many the seal does not cover).
    public static func check(ledger path: String, head: String?, key: SealVerifyingKey, keyFile: String, allowAppended: Bool,
                             tsaCA: (pem: [UInt8], file: String)? = nil) -> SealCheck {
        let loaded = load(ledger: path, key: key, keyFile: keyFile)
        let sealedRecords = if case .success(let statement) = loaded { statement.records } else { Int?.none }
        let (verification, found) = EvidenceLedger.survey(path: path, head: head, records: sealedRecords)
        guard let found, case .intact(let total, let lastHead) = verification else {
            if case .unreadable(let why) = verification { return .unreadable(why) }
            return .broken(verification)
        }
        let statement: SealStatement
        switch loaded {
        case .success(let s): statement = s
        case .failure(.unreadable(let why)): return .unreadable(why)
        case .failure(.unsealed(let why)): return .unsealed(why)
        }
        let n = statement.records
        if total < n {
            return .unsealed("the ledger holds \(total) records, the seal covers \(n): records were removed from its end (truncated)")
        }
        let recomputed: SealStatement
        do { recomputed = try found.statement(ledger: statement.ledger, key: statement.key) } catch {
            return .unsealed("the seal cannot be of this ledger: \(error.message)")
        }
        let differences = recomputed.differences(from: statement)
        if differences.contains("head") {
            return .unsealed("record \(n) has hash \(recomputed.head), the seal's head is \(statement.head): "
                             + "the ledger was rewritten (its hashes recomputed), or the seal is of another ledger")
        }
        if differences == ["ledger-sha256"] {
            return .unsealed("the bytes of the ledger's first \(n) lines are not those sealed (ledger-sha256 differs), "
                             + "though their records hash the same: a record was written again in another form")
        }
        if !differences.isEmpty {
            return .unsealed("the ledger's first \(n) records are not those sealed: \(differences.joined(separator: ", ")) differ")
        }
        if total > n, !allowAppended {
            return .unsealed("\(total - n) records after the seal: it covers records 1 to \(n) of \(total) "
                             + "(seal again, or pass --allow-appended to accept records the seal does not cover)")
        }
        guard let tsaCA else { return .sealed(statement, records: total, head: lastHead, timestamp: nil) }
        switch checkTimestamp(ledger: path, trusted: tsaCA) {
        case .success(let token): return .sealed(statement, records: total, head: lastHead, timestamp: token)
        case .failure(.unsealed(let why)): return .unsealed(why)
        case .failure(.unreadable(let why)): return .unreadable(why)
        }
    }

    /// `--tsa-ca`: the seal's time-stamp, of its signature as stored, signed by a TSA that chains to the CA file.
    static func checkTimestamp(ledger path: String, trusted: (pem: [UInt8], file: String)) -> Result<TimestampToken, LoadProblem> {
        let stampFile = timestampPath(ledger: path)
        let missing = "no time-stamp: \(stampFile) is missing (seal with `--tsa URL` to get one)"
        let reply: [UInt8], signature: [UInt8]
        switch (sealFile(stampFile, limit: TimestampAuthority.replyLimit, missing: missing), sealFile(signaturePath(ledger: path), limit: 4096)) {
        case (.success(let r), .success(let g)): (reply, signature) = (r, g)
        case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
        }
        switch TimestampAuthority.verify(reply: reply, data: signature, trustedPEM: trusted.pem) {
        case .success(let token): return .success(token)
        case .failure(let failure): return .failure(.unsealed("\(stampFile): \(failure.message) (trusting the CA in \(trusted.file))"))
        }
    }

    /// Why a seal could not be read or does not hold, before the ledger is compared with it.
    enum LoadProblem: Error {
        case unsealed(String)
        case unreadable(String)
    }

    /// The seal of `path`, read strictly and checked: present, of the canonical form, signed by `key`, naming this ledger.
    static func load(ledger path: String, key: SealVerifyingKey, keyFile: String) -> Result<SealStatement, LoadProblem> {
        let statementFile = statementPath(ledger: path), signatureFile = signaturePath(ledger: path)
        let bytes: [UInt8], signature: [UInt8]
        switch (sealFile(statementFile, limit: SealStatement.sizeLimit), sealFile(signatureFile, limit: 4096)) {
        case (.success(let s), .success(let g)): (bytes, signature) = (s, g)
        case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
        }
        let statement: SealStatement
        do { statement = try SealStatement.parse(bytes, file: statementFile) } catch { return .failure(.unsealed(error.message)) }
        guard signature.count == 64 else {
            return .failure(.unsealed("\(signatureFile): \(signature.count) bytes, an Ed25519 signature is 64: not a seal signature"))
        }
        guard statement.key == key.keyID else {
            return .failure(.unsealed("the seal was signed by another key (\(statement.key)), not the one in \(keyFile) (\(key.keyID))"))
        }
        guard key.verifies(signature, of: bytes) else {
            return .failure(.unsealed("the signature in \(signatureFile) does not verify with the key in \(keyFile): "
                                      + "the statement or its signature was altered"))
        }
        guard statement.ledger == fileName(path) else {
            return .failure(.unsealed("the seal is of the ledger `\(statement.ledger)`, not of `\(fileName(path))`"))
        }
        return .success(statement)
    }

    /// A seal file's bytes: a missing or oversized one is no seal (exit 1), one that cannot be read is an input error (exit 2).
    /// `missing`: what to say when the file is not there (a seal's own file by default).
    static func sealFile(_ file: String, limit: Int, missing: String? = nil) -> Result<[UInt8], LoadProblem> {
        var info = stat()
        if stat(file, &info) != 0, errno == ENOENT {
            return .failure(.unsealed(missing ?? "no seal: \(file) is missing (seal the ledger with `revenant evidence seal`)"))
        }
        switch FileBytes.read(file, limit: limit) {
        case .success(let bytes): return .success(bytes)
        case .failure(.tooLarge(let limit)): return .failure(.unsealed("\(file): larger than \(limit) bytes: not a seal file"))
        case .failure(.unreadable(let why)): return .failure(.unreadable("\(file): cannot read the seal (\(why))"))
        }
    }
}

/// What sealing a ledger came to.
public enum SealResult: Sendable, Equatable {
    case sealed(SealStatement)
    /// Sealed (both files written), but the time-stamp asked for (`--tsa`) could not be had: why.
    case sealedWithoutTimestamp(SealStatement, String)
    /// The chain is broken: broken evidence is not sealed.
    case broken(LedgerVerification)
    /// Not sealed, and why: a ledger that cannot be read or locked, one a seal cannot state, a file not written.
    case failed(String)
}

/// What `evidence verify --public-key` found.
public enum SealCheck: Sendable, Equatable {
    /// The chain is whole and the seal holds for its first `statement.records` records; `records` is
    /// how many the ledger holds (more only when appended records were allowed).
    case sealed(SealStatement, records: Int, head: String, timestamp: TimestampToken?)
    /// The chain itself is broken (as `evidence verify` says without a key).
    case broken(LedgerVerification)
    /// The seal is missing, garbled, signed by another key, of another ledger, or the ledger is no longer what it states.
    case unsealed(String)
    /// A file that cannot be read: an input error.
    case unreadable(String)
}
