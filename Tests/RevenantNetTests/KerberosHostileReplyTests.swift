import Foundation
import RevenantCore
import Testing
@testable import RevenantNet

/// KDC answers that only a hostile or broken KDC gives, fed to libkrb5 as the reply to the first
/// AS-REQ (`KerberosProber.readReply`): that request carries nothing made from the password, so no
/// answer to it may read as "the password is wrong".
@Suite struct KerberosHostileReplyTests {
    /// DER: tag, length, content.
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let n = content.count
        let length: [UInt8] = n < 0x80 ? [UInt8(n)] : n < 0x100 ? [0x81, UInt8(n)] : [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
        return [tag] + length + content
    }

    static func integer(_ v: Int) -> [UInt8] { tlv(0x02, v < 0x80 ? [UInt8(v)] : [UInt8(v >> 8), UInt8(v & 0xFF)]) }
    static func context(_ n: UInt8, _ content: [UInt8]) -> [UInt8] { tlv(0xA0 + n, content) }
    static func general(_ s: String) -> [UInt8] { tlv(0x1B, Array(s.utf8)) }

    /// KRB-ERROR (RFC 4120 §5.9.1) for principal fuzz@FUZZ.TEST, with `e-data` if given.
    static func krbError(_ code: Int, eData: [UInt8]? = nil) -> [UInt8] {
        var fields = context(0, integer(5)) + context(1, integer(30))
        fields += context(4, tlv(0x18, Array("20261206000000Z".utf8))) + context(5, integer(0))
        fields += context(6, integer(code))
        fields += context(9, general("FUZZ.TEST"))
        fields += context(10, tlv(0x30, context(0, integer(2)) + context(1, tlv(0x30, general("krbtgt") + general("FUZZ.TEST")))))
        if let eData { fields += context(12, tlv(0x04, eData)) }
        return tlv(0x7E, tlv(0x30, fields))
    }

    /// KDC_ERR_PREAUTH_FAILED and KRB_AP_ERR_BAD_INTEGRITY sent by the KDC to the first request,
    /// before the client used the password for anything, are not the password's refusal.
    @Test(arguments: [24, 31])
    func aRefusalOfTheFirstRequestIsNotARejection(code: Int) {
        let result = KerberosProber.readReply(Self.krbError(code))
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(failure.kind != .loginDenied, "\(failure.message)")
    }
}

