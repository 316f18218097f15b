import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small PKI made with the `openssl` CLI once per test process: a root made with `openssl ca
/// -selfsign` and leaves issued by `openssl ca` with fixed dates, so every field is predictable.
/// Nothing is committed: keys exist only in a temporary directory, removed at exit.
public final class TestPKI: Sendable {
    static let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-pki-\(UUID().uuidString)")
    public static let shared: Result<TestPKI, PKIError> = Result { () throws(PKIError) in try TestPKI(directory: directory) }

    public let path: String

    private init(directory: String) throws(PKIError) {
        path = directory
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestPKI.directory) }
        try Shell.run(Self.script, in: path)
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func text(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Every leaf is valid 2025-01-01 → 2027-01-01 unless named otherwise; serials count from 1000 (root).
    static let script = OpenSSLCA.script(serial: 1000, rootExtensions: "subjectKeyIdentifier = hash", sections: """
    [ leaf_ext ]
    basicConstraints = CA:FALSE
    subjectAltName = DNS:leaf.example.com, DNS:*.leaf.example.com, IP:127.0.0.1, IP:::1, email:ops@example.com, URI:spiffe://example.com/svc
    crlDistributionPoints = URI:http://crl.example.com/root.crl
    authorityInfoAccess = OCSP;URI:http://ocsp.example.com, caIssuers;URI:http://ca.example.com/root.crt
    [ plain_ext ]
    basicConstraints = CA:FALSE
    """, then: #"""
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root.key 2>/dev/null
    openssl req -new -key root.key -subj "/CN=Revenant Test Root/O=Revenant Tests" -config ca.cnf -out root.csr
    openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -out root.pem -notext \
      -startdate 20240101000000Z -enddate 20340101000000Z -extensions root_ext 2>/dev/null
    issue() { # name key extensions start end [more openssl ca arguments]
      name=$1; key=$2; ext=$3; start=$4; end=$5; shift 5
      openssl req -new -key "$key" -subj "/CN=$name.example.com/O=Revenant Tests" -config ca.cnf -out "$name.csr"
      openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$name.csr" -out "$name.pem" -notext \
        -startdate "$start" -enddate "$end" -extensions "$ext" "$@" 2>/dev/null
    }
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.key
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.key
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out ec224.key
    openssl genpkey -algorithm ED25519 -out ed25519.key
    openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.params 2>/dev/null
    openssl genpkey -paramfile dsa.params -out dsa.key
    issue leaf rsa2048.key leaf_ext 20250101000000Z 20270101000000Z
    issue rsa1024 rsa1024.key plain_ext 20250101000000Z 20270101000000Z
    issue ec256 ec256.key plain_ext 20250101000000Z 20270101000000Z
    issue ec384 ec384.key plain_ext 20250101000000Z 20270101000000Z
    issue ec224 ec224.key plain_ext 20250101000000Z 20270101000000Z
    issue ed25519 ed25519.key plain_ext 20250101000000Z 20270101000000Z
    issue dsa dsa.key plain_ext 20250101000000Z 20270101000000Z
    issue sha1 rsa2048.key plain_ext 20250101000000Z 20270101000000Z -md sha1
    issue expired rsa2048.key plain_ext 20200101000000Z 20210101000000Z
    # What openssl itself says, to compare with.
    openssl x509 -in leaf.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' > leaf.sha256
    # Other containers of the same certificates.
    openssl x509 -in leaf.pem -outform DER -out leaf.der
    openssl x509 -in leaf.pem -text > chain.pem; cat root.pem >> chain.pem
    cat rsa2048.key leaf.pem root.pem > key-and-chain.pem
    openssl pkcs12 -export -in leaf.pem -inkey rsa2048.key -certfile root.pem -passout pass:s3cret -out leaf.p12
    openssl pkcs12 -export -in ec256.pem -inkey ec256.key -passout pass: -out nopass.pfx
    openssl pkcs12 -export -legacy -in leaf.pem -inkey rsa2048.key -passout pass:old -out legacy.p12
    # Files that are not (good) certificates.
    head -c 600 /dev/urandom > garbage.der
    : > empty.pem
    sed '5s/./#/g' leaf.pem > corrupt.pem
    # A directory tree.
    mkdir -p tree/a/b tree/c tree/d
    cp leaf.pem tree/a/b/leaf.crt; cp ec256.pem tree/a/ec256.cer; cp leaf.der tree/c/leaf.der
    cp root.pem tree/c/no-extension; cp leaf.p12 tree/d/bundle.p12
    cp rsa2048.key tree/d/key.pem; echo hello > tree/readme.txt
    """#)
}

/// The start every test PKI script shares: `set -eu`, an `openssl ca` database in `./ca` whose serials
/// count from `serial`, and `ca.cnf` with the `test_ca` CA, its `any_name` policy (a commonName, an
/// optional organizationName), a `req` section and `root_ext` (CA:TRUE, keyCertSign, cRLSign, then
/// `rootExtensions`), followed by `sections`. The script goes on with `commands`, run in the same directory.
public enum OpenSSLCA {
    /// `caSettings` are extra lines of the `test_ca` section (with `crlnumber = $dir/crlnumber` for `-gencrl`).
    public static func script(serial: Int, rootExtensions: String = "", caSettings: String = "", sections: String, then commands: String) -> String {
        """
        set -eu
        mkdir -p ca/newcerts; : > ca/index.txt; echo \(serial) > ca/serial; echo 01 > ca/crlnumber
        cat > ca.cnf <<'CNF'
        [ ca ]
        default_ca = test_ca
        [ test_ca ]
        dir = ./ca
        database = $dir/index.txt
        new_certs_dir = $dir/newcerts
        serial = $dir/serial
        default_md = sha256
        policy = any_name
        unique_subject = no
        email_in_dn = no
        \(caSettings)
        [ any_name ]
        commonName = supplied
        organizationName = optional
        [ req ]
        distinguished_name = dn
        [ dn ]
        [ root_ext ]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign

        """ + (rootExtensions.isEmpty ? "" : rootExtensions + "\n") + sections + "\nCNF\n" + commands
    }

    /// Shell lines making a self-signed P-256 root (`root.key`, `root.pem`, `root_ext`) in the CA
    /// of `script`, valid from `since` days (negative: in the past) for about eight years.
    public static func ecRoot(_ commonName: String, since: Double) -> String {
        """
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
        openssl req -new -key root.key -subj "/CN=\(commonName)" -config ca.cnf -out root.csr
        openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -out root.pem -notext \\
          -startdate \(stamp(since)) -enddate \(stamp(3000)) -extensions root_ext 2>/dev/null
        """
    }

    /// A date `days` from now as `openssl ca -startdate`/`-enddate` take it (UTC, `yyyyMMddHHmmssZ`).
    public static func stamp(_ days: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMddHHmmss'Z'"
        return f.string(from: Date().addingTimeInterval(days * 86_400))
    }
}

public struct PKIError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

/// Runs a shell script to completion (posix_spawn + waitpid on this thread: short scripts, rarely).
public enum Shell {
    public static func run(_ script: String, in directory: String) throws(PKIError) {
        let (status, output) = capture(script, in: directory)
        guard status == 0 else {
            throw PKIError(description: "making the test PKI with the openssl CLI failed (status \(status)):\n\(output)")
        }
    }

    /// The script's exit status and its stdout and stderr together.
    public static func capture(_ script: String, in directory: String = NSTemporaryDirectory()) -> (status: Int32, output: String) {
        let log = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-shell-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        guard let child = spawn("cd \"$0\" && " + script, in: directory, log: log) else { return (-1, "cannot start /bin/sh") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Starts `/bin/sh -c script` with `directory` as `$0`, stdin from /dev/null, stdout and stderr to
    /// `log`; in a new process group when `ownProcessGroup`. The child's pid, or nil when it did not start.
    public static func spawn(_ script: String, in directory: String, log: String, ownProcessGroup: Bool = false) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        }
        let arguments = ["/bin/sh", "-c", script, directory]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        return posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, environ) == 0 ? child : nil
    }
}
