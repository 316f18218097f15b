import Foundation

/// A CA made with `openssl ca` that revokes: root (index.txt, crlnumber), leaves, `openssl ca
/// -revoke`, `-gencrl`, and the odd CRLs a checker must refuse. Made per test in `directory`.
///
/// Leaves (valid from 10 days ago for a year unless named otherwise), all with an OCSP URL and a CRL
/// distribution point (`ocspURL`, `crlURL`):
/// - `good` (active), `revoked` (revoked at the CA, keyCompromise), `inventory-only` (good at the
///   CA: revoked only in an inventory), `expired` (2020–2021, revoked at the CA);
/// - `stale` points at `stale.crl` (nextUpdate in 2024) and at `silentOCSPURL` (never answers);
/// - `foreign` points at `foreign.crl`: same issuer name, signed by another key.
/// Also `responder.pem`/`.key` (OCSPSigning EKU, delegated) and `no-eku.pem`/`.key` (no EKU), and
/// CRLs of the root a checker must not read as complete: `partition.crl` (issuingDistributionPoint,
/// onlySomeReasons), `delta.crl` (deltaCRLIndicator), `critical.crl` (an unknown critical extension).
public struct RevocationPKI: Sendable {
    public let path: String
    public let ocspURL: String
    public let crlURL: String
    public let silentOCSPURL: String

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// `crlURL` nil: `file://DIR/root.crl`.
    public init(directory: String, ocspPort: Int, silentPort: Int, crlURL: String? = nil) throws(PKIError) {
        path = directory
        ocspURL = "http://127.0.0.1:\(ocspPort)/"
        silentOCSPURL = "http://127.0.0.1:\(silentPort)/"
        self.crlURL = crlURL ?? "file://\(directory)/root.crl"
        let stamp = OpenSSLCA.stamp
        let script = OpenSSLCA.script(serial: 5000, caSettings: "crlnumber = $dir/crlnumber\ndefault_crl_days = 7", sections: """
        [ leaf_ext ]
        basicConstraints = CA:FALSE
        authorityInfoAccess = OCSP;URI:\(ocspURL)
        crlDistributionPoints = URI:\(self.crlURL)
        [ stale_ext ]
        basicConstraints = CA:FALSE
        authorityInfoAccess = OCSP;URI:\(silentOCSPURL)
        crlDistributionPoints = URI:file://\(directory)/stale.crl
        [ foreign_ext ]
        basicConstraints = CA:FALSE
        crlDistributionPoints = URI:file://\(directory)/foreign.crl
        [ responder_ext ]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = OCSPSigning
        [ plain_ext ]
        basicConstraints = CA:FALSE
        [ partition_crl ]
        issuingDistributionPoint = critical, @partition_idp
        [ partition_idp ]
        fullname = URI:\(self.crlURL)
        onlysomereasons = keyCompromise
        [ delta_crl ]
        # deltaCRLIndicator (OpenSSL's config cannot set it by name)
        2.5.29.27 = critical, ASN1:INTEGER:1
        [ critical_crl ]
        1.3.6.1.4.1.99999.1 = critical, ASN1:NULL
        """, then: """
        \(OpenSSLCA.ecRoot("Revocation Test Root", since: -30))
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
        issue() { # name extensions start end
          openssl req -new -key leaf.key -subj "/CN=$1.example.com" -config ca.cnf -out "$1.csr"
          openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \\
            -startdate "$3" -enddate "$4" -extensions "$2" 2>/dev/null
        }
        issue good leaf_ext \(stamp(-10)) \(stamp(355))
        issue revoked leaf_ext \(stamp(-10)) \(stamp(355))
        issue inventory-only leaf_ext \(stamp(-10)) \(stamp(355))
        issue expired leaf_ext 20200101000000Z 20210101000000Z
        issue stale stale_ext \(stamp(-10)) \(stamp(355))
        issue foreign foreign_ext \(stamp(-10)) \(stamp(355))
        issue responder responder_ext \(stamp(-10)) \(stamp(355))
        issue no-eku plain_ext \(stamp(-10)) \(stamp(355))
        cp leaf.key responder.key; cp leaf.key no-eku.key
        openssl ca -config ca.cnf -cert root.pem -keyfile root.key -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null
        openssl ca -config ca.cnf -cert root.pem -keyfile root.key -revoke expired.pem -crl_reason superseded 2>/dev/null
        openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out root.crl 2>/dev/null
        openssl crl -in root.crl -outform DER -out root.crl.der
        for scope in partition delta critical; do
          openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -crlexts ${scope}_crl -out $scope.crl 2>/dev/null
        done
        openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out stale.crl \\
          -crl_lastupdate 20240101000000Z -crl_nextupdate 20240108000000Z 2>/dev/null
        # Another CA with the same name: its CRL names the right issuer but does not verify.
        mkdir -p other && cd other && mkdir -p ca/newcerts && : > ca/index.txt && echo 9000 > ca/serial && echo 01 > ca/crlnumber
        cp ../ca.cnf . && \(OpenSSLCA.ecRoot("Revocation Test Root", since: -30))
        openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out ../foreign.crl 2>/dev/null
        """)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Shell.run(script, in: directory)
    }

    /// `openssl ocsp -index` on `port`, signed by `signer` (`root` or a delegated responder); answers
    /// carry a nextUpdate `nextUpdateDays` after thisUpdate (nil: no nextUpdate).
    public func startResponder(port: Int, signer: String = "root", nextUpdateDays: Int? = 1) throws(PKIError) -> BackgroundServer {
        let days = nextUpdateDays.map { " -ndays \($0)" } ?? ""
        let server = try BackgroundServer("openssl ocsp -index ca/index.txt -port \(port) -rsigner \(signer).pem -rkey \(signer).key -CA root.pem\(days) -multi 2",
                                          in: path)
        do {
            // With -multi the responder prints "ACCEPT [::]:PORT PID=…" once it listens (without: "waiting for …").
            try server.waitFor("ACCEPT")
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// What `openssl verify -crl_check` says of `name`.pem with `crl` ("OK" or the error line).
    public func opensslVerify(_ name: String, crl: String = "root.crl") -> String {
        Shell.capture("openssl verify -crl_check -CAfile root.pem -CRLfile \(crl) \(name).pem 2>&1 | grep -E 'OK|error' | head -1", in: path).output
    }

    /// What `openssl ocsp` says of `name`.pem at `url` ("good", "revoked", "unknown", or its error).
    public func opensslOCSP(_ name: String, url: String) -> String {
        Shell.capture("openssl ocsp -issuer root.pem -cert \(name).pem -url \(url) -CAfile root.pem -timeout 5 2>&1", in: path).output
    }
}
