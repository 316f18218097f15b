import CKrb5
import Foundation
import RevenantCore
import RevenantProbes

/// Tries one Kerberos password in an AS exchange (RFC 4120 §3.1) with MIT's libkrb5 and throws
/// the ticket away: it is never used and never written to a credential cache.
/// docs/protocols/kerberos.md says what each answer means and why.
///
/// libkrb5 only builds and reads the messages (`krb5_init_creds_step`); revenant carries them to
/// the target's host and port over TCP itself (RFC 4120 §7.2.2), so the library never locates a
/// KDC (no /etc/krb5.conf, no DNS SRV records), never sends anywhere else, and the whole exchange
/// has the engine's timeout. Its configuration is held in memory (`KerberosProfile`).
public struct KerberosProber: LoginProber {
    public init() {}

    /// Round trips one login may take (MIT's client needs two with preauthentication, one more
    /// after a clock-skew correction): a KDC that keeps asking for more is not followed further.
    static let maxRoundTrips = 6

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard let login = request.login, login.method == .password else {
            return .failure(TransportFailure(kind: .other, message: "a Kerberos probe needs a principal and a password"))
        }
        guard let endpoint = LoginEndpoint(request, defaultPort: 88) else { return .failure(LoginEndpoint.refused) }
        // libkrb5 takes the password as a C string: a NUL byte would cut it short and make a
        // live password look wrong.
        guard !login.secret.bytes.contains(0) else {
            return .failure(TransportFailure(kind: .other, message: "the password holds a NUL byte, which libkrb5 cannot send: not sent"))
        }
        let realm: String
        switch KerberosProtocol.realm(fromPath: endpoint.path) {
        case .success(let r): realm = r
        case .failure(let f): return .failure(f)
        }
        let principalName: String
        switch KerberosProtocol.principal(login.user, realm: realm) {
        case .success(let p): principalName = p
        case .failure(let f): return .failure(f)
        }
        let deadline = Date().addingTimeInterval(request.timeout.seconds)
        guard let context = KerberosContext(realm: realm, kdc: endpoint) else {
            return .failure(TransportFailure(kind: .other, message: "libkrb5 could not make a context"))
        }
        return context.login(principal: principalName, realm: realm, password: login.secret) { message in
            KDCExchange.send(message, to: endpoint, deadline: deadline, timeout: request.timeout)
        }
    }
}

extension KerberosProber {
    /// What a run makes of `reply` as a KDC's answer to its first AS-REQ (for principal `fuzz` of
    /// realm FUZZ.TEST): the fuzz target's entry into libkrb5's reading of hostile replies.
    /// Nothing touches the network; a second request the reply asks for gets no answer.
    public static func readReply(_ reply: [UInt8]) -> ProbeResult {
        let kdc = LoginEndpoint(host: "127.0.0.1", port: 88, path: "FUZZ.TEST")
        guard let context = KerberosContext(realm: kdc.path, kdc: kdc) else {
            return .failure(TransportFailure(kind: .other, message: "libkrb5 could not make a context"))
        }
        var answered = false
        return context.login(principal: "fuzz@FUZZ.TEST", realm: kdc.path, password: "fuzz-password") { _ in
            defer { answered = true }
            return answered ? .failure(TransportFailure(kind: .timeout, message: "no second reply")) : .success(reply)
        }
    }
}

/// One libkrb5 context over an in-memory configuration, freed when this owner goes.
final class KerberosContext {
    private let raw: krb5_context
    private let profile: KerberosProfile

    init?(realm: String, kdc: LoginEndpoint) {
        profile = KerberosProfile(realm: realm, kdc: kdc)
        var made: krb5_context?
        // KRB5_INIT_CONTEXT_SECURE: no environment variable (KRB5_CONFIG, KRB5_TRACE, KRB5CCNAME)
        // changes what this context does. The context takes its own copy of the profile, which
        // shares the callback data: `profile` lives as long as the context.
        let code = profile.withProfile { krb5_init_context_profile($0, krb5_flags(KRB5_INIT_CONTEXT_SECURE), &made) }
        guard code == 0, let made else { return nil }
        raw = made
    }

    deinit { krb5_free_context(raw) }

    /// The context for a call that must not keep it.
    func withRaw<R>(_ body: (krb5_context) -> R) -> R { body(raw) }

    /// The library's text for an error code (it names the principal, never the password).
    func message(_ code: krb5_error_code) -> String {
        guard let text = krb5_get_error_message(raw, code) else { return "" }
        defer { krb5_free_error_message(raw, text) }
        return String(String(cString: text).prefix(1_000))
    }

    /// The AS exchange: each request libkrb5 makes goes through `send`, each reply back to it,
    /// until a ticket is issued or an answer ends it.
    func login(principal name: String, realm: String, password: Secret,
               send: ([UInt8]) -> Result<[UInt8], TransportFailure>) -> ProbeResult {
        var parsed: krb5_principal?
        let parseCode = krb5_parse_name(raw, name, &parsed)
        guard parseCode == 0, let principal = parsed else {
            return .failure(TransportFailure(kind: .other, message: "not a principal name libkrb5 can read: \(ServerText.quote(message(parseCode)))"))
        }
        defer { krb5_free_principal(raw, principal) }
        guard Self.bytes(principal.pointee.realm) == Array(realm.utf8) else {
            return .failure(TransportFailure(kind: .other, message: "the principal's realm is not the target's realm `\(realm)`: not sent"))
        }
        var made: OpaquePointer?
        // No options: no credential cache is read or written; the ticket stays in `icc` and is freed with it.
        var code = krb5_init_creds_init(raw, principal, nil, nil, 0, nil, &made)
        guard code == 0, let icc = made else {
            return .failure(TransportFailure(kind: .other, message: "libkrb5 could not start the exchange: \(ServerText.quote(message(code)))"))
        }
        // krb5_init_creds_free wipes its copy of the password.
        defer { krb5_init_creds_free(raw, icc) }
        code = password.withCString { krb5_init_creds_set_password(raw, icc, $0) }
        guard code == 0 else {
            return .failure(TransportFailure(kind: .other, message: "libkrb5 did not take the password: \(ServerText.quote(message(code)))"))
        }
        var reply: [UInt8] = []
        for _ in 0..<KerberosProber.maxRoundTrips {
            var output = krb5_data()
            var outputRealm = krb5_data()
            var flags: UInt32 = 0
            code = reply.withUnsafeMutableBufferPointer { buffer -> krb5_error_code in
                var input = krb5_data(magic: 0, length: UInt32(buffer.count),
                                      data: buffer.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) })
                return krb5_init_creds_step(raw, icc, &input, &output, &outputRealm, &flags)
            }
            let request = Self.bytes(output)
            let asked = Self.bytes(outputRealm)
            krb5_free_data_contents(raw, &output)
            krb5_free_data_contents(raw, &outputRealm)
            if code != 0 { return .failure(classify(code, reply: reply)) }
            if flags & UInt32(KRB5_INIT_CREDS_STEP_FLAG_CONTINUE) == 0 {
                return .success(.loginAccepted("ticket issued (AS exchange); discarded unused"))
            }
            guard asked == Array(realm.utf8) else {
                // A client referral (RFC 6806) to another realm: its KDC is not the target.
                return .failure(TransportFailure(kind: .other, message: "the KDC referred the login to another realm (`\(ServerText.quote(String(decoding: asked, as: UTF8.self)))`): not followed"))
            }
            switch send(request) {
            case .success(let answer): reply = answer
            case .failure(let failure): return .failure(failure)
            }
        }
        return .failure(TransportFailure(kind: .other, message: "no ticket and no refusal after \(KerberosProber.maxRoundTrips) round trips"))
    }

    /// An error of the exchange: a KDC or protocol error (its RFC 4120 number) is read by
    /// KerberosProtocol; any other library error proves nothing.
    func classify(_ code: krb5_error_code, reply: [UInt8]) -> TransportFailure {
        let number = Int(code) - Int(ERROR_TABLE_BASE_krb5)
        // KRB_AP_ERR_BAD_INTEGRITY says the password is wrong only when it is libkrb5's own
        // finding: an AS-REP ([APPLICATION 11], first byte 0x6B) it could not decrypt with the
        // password's key. A KDC that sends the number in a KRB-ERROR claims it about nothing the
        // password made (its first request carries nothing made from it).
        if number == 31, reply.first != 0x6B {
            return TransportFailure(kind: .other, message: "the KDC sent KRB_AP_ERR_BAD_INTEGRITY as an error instead of a reply to decrypt: proves nothing about the password")
        }
        if (0...127).contains(number) { return KerberosProtocol.classifyError(number: number, said: message(code)) }
        return TransportFailure(kind: .other, message: "libkrb5: \(ServerText.quote(message(code)))")
    }

    static func bytes(_ data: krb5_data) -> [UInt8] {
        guard let p = data.data, data.length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: Int(data.length)))
    }
}
