import Foundation
import TestSupport
import Testing
@testable import RevenantCore

/// The plain PEM reader takes only `BEGIN/END CERTIFICATE` blocks of 64-character base64 lines;
/// everything else is left to OpenSSL's PEM reader (nil).
@Suite struct PEMCertificateBlocksTests {
    static func pem(_ der: [UInt8], width: Int = 64, newline: String = "\n") -> String {
        let text = Data(der).base64EncodedString()
        var lines: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: width, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[start..<end]))
            start = end
        }
        return (["-----BEGIN CERTIFICATE-----"] + lines + ["-----END CERTIFICATE-----"]).joined(separator: newline) + newline
    }

    @Test(arguments: [1, 2, 3, 47, 48, 49, 700, 701, 702])
    func plainBlocksDecodeAsBase64(_ size: Int) {
        let der = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        #expect(PEMCertificateBlocks.blocks(Array(Self.pem(der).utf8)) == [der])
        let chain = Self.pem(der) + Self.pem(Array(der.reversed()))
        #expect(PEMCertificateBlocks.blocks(Array(chain.utf8)) == [der, Array(der.reversed())])
    }

    @Test func everyOtherShapeIsLeftToOpenSSL() {
        let der = DER.certificate()
        let plain = Self.pem(der)
        let others = [
            Self.pem(der, width: 76), Self.pem(der, newline: "\r\n"), "text before\n" + plain, plain + "\n", plain + "text after",
            plain.replacingOccurrences(of: "CERTIFICATE", with: "X509 CERTIFICATE"),
            plain.replacingOccurrences(of: "-----BEGIN CERTIFICATE-----\n", with: "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n"),
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",           // an empty block
            plain.replacingOccurrences(of: "-----END CERTIFICATE-----\n", with: ""), // no end
            "", "-----BEGIN CERTIFICATE-----\nQQ=A\n-----END CERTIFICATE-----\n",    // padding inside a quad
            "-----BEGIN CERTIFICATE-----\nQR==\n-----END CERTIFICATE-----\n",        // bits after the padding not zero
            "-----BEGIN CERTIFICATE-----\nQQ==QQ==\n-----END CERTIFICATE-----\n",    // a quad after padding
            "-----BEGIN CERTIFICATE-----\nQUJD\nQUJD\n-----END CERTIFICATE-----\n",  // a short line before the last
            "-----BEGIN CERTIFICATE-----\nQU*D\n-----END CERTIFICATE-----\n",
        ]
        for text in others {
            #expect(PEMCertificateBlocks.blocks(Array(text.utf8)) == nil, "\(text.prefix(80))")
        }
        #expect(PEMCertificateBlocks.blocks(Array("-----BEGIN CERTIFICATE-----\nQQ==\n-----END CERTIFICATE-----\n".utf8)) == [[0x41]])
    }

    @Test func truncatedFilesAreNeverRead() {
        let text = Array(Self.pem(DER.certificate()).utf8)
        for end in 0..<text.count {
            #expect(PEMCertificateBlocks.blocks(Array(text[..<end])) == nil)
        }
    }
}
