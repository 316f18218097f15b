import Foundation
import Testing
@testable import RevenantCore

/// Kubernetes Secrets as `kubectl get secrets -A -o json` writes them (a v1 List) and as manifests.
@Suite struct KubernetesSecretsImportTests {
    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func secret(_ name: String, namespace: String = "shop", type: String = "Opaque", data: [String: String] = [:],
                       labels: String = "{}", annotations: String = "{}") -> String {
        let pairs = data.keys.sorted().map { "\"\($0)\": \"\(data[$0]!)\"" }.joined(separator: ", ")
        return #"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "\#(name)", "namespace": "\#(namespace)", "labels": \#(labels), "annotations": \#(annotations)}, "type": "\#(type)", "data": {\#(pairs)}}"#
    }

    static func list(_ items: [String]) -> [UInt8] {
        Array(#"{"apiVersion": "v1", "kind": "List", "items": [\#(items.joined(separator: ",\n"))]}"#.utf8)
    }

    static func read(_ bytes: [UInt8], mapping: String = #"{"map": {"GITHUB_TOKEN": {"probe": "github", "kind": "api_key"}}}"#,
                     owner: String? = nil) throws(InputErrors) -> ImportedInventory {
        try KubernetesSecretsImport.read(bytes, file: "secrets.json", options: ImportTest.options(mapping, owner: owner))
    }

    @Test func tlsSecretsBecomeCertificatesWithKeyAndIssuer() throws {
        let (crt, key, ca) = (Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8), Array("k\u{0}ey".utf8), Array("ca".utf8))
        let inventory = try Self.read(Self.list([Self.secret("shop-tls", type: "kubernetes.io/tls",
                                                             data: ["tls.crt": Self.b64(crt), "tls.key": Self.b64(key), "ca.crt": Self.b64(ca)])]))
        let c = try #require(inventory.credentials.first)
        #expect(c.id == "k8s-shop-shop-tls-tls" && c.kind == .x509Certificate)
        #expect(c.certificate == crt && c.privateKey?.bytes == key && c.issuer == ca && c.secret == nil)
    }

    @Test func tokenLikeKeysBecomeCredentialsWithTheirBytesExactly() throws {
        let latin1: [UInt8] = [0x70, 0xE4, 0x73, 0x73, 0xFF, 0x00, 0x0A]
        let inventory = try Self.read(Self.list([Self.secret("env", data: [
            "GITHUB_TOKEN": Self.b64(Array("ghp_token".utf8)), "DB_PASSWORD": Self.b64(latin1), "LOG_LEVEL": Self.b64(Array("debug".utf8)),
        ], labels: #"{"team": "payments"}"#)]))
        #expect(inventory.credentials.map(\.id) == ["k8s-shop-env-db-password", "k8s-shop-env-github-token"])
        let password = inventory.credentials[0], token = inventory.credentials[1]
        #expect(password.kind == .password && password.secret?.bytes == latin1 && password.probe == nil)
        #expect(token.probe == "github" && token.kind == .apiKey && token.owner == "payments")
        #expect(token.tags["key"] == "GITHUB_TOKEN" && token.tags["namespace"] == "shop" && token.tags["secret"] == "env")
        #expect(inventory.unmapped == ["DB_PASSWORD": 1])
        #expect(inventory.notes.contains { $0.contains("1 secret key not taken") })
    }

    @Test func theOwnerAnnotationWinsAndTheOptionWinsOverAll() throws {
        let item = Self.secret("env", data: ["API_TOKEN": Self.b64(Array("t0k3n-value".utf8))], labels: #"{"team": "payments"}"#,
                               annotations: #"{"revenant.io/owner": "dana@example.com"}"#)
        #expect(try Self.read(Self.list([item])).credentials[0].owner == "dana@example.com")
        #expect(try Self.read(Self.list([item]), owner: "sec").credentials[0].owner == "sec")
    }

    @Test func manifestsInYAMLWithSeveralDocumentsAndStringData() throws {
        let yaml = """
            apiVersion: v1
            kind: Secret
            metadata: {name: api, namespace: billing}
            data:
              API_KEY: \(Self.b64(Array("old".utf8)))
            stringData:
              API_KEY: "new-value"
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            ---
            apiVersion: v1
            kind: SecretList
            items:
              - apiVersion: v1
                kind: Secret
                metadata: {name: other}
                stringData: {SERVICE_TOKEN: abc123}
            """
        let inventory = try KubernetesSecretsImport.read(Array(yaml.utf8), file: "m.yaml", options: ImportTest.options())
        #expect(inventory.credentials.map(\.id) == ["k8s-billing-api-api-key", "k8s-default-other-service-token"])
        #expect(inventory.credentials[0].secret?.bytes == Array("new-value".utf8))
        #expect(inventory.credentials[1].kind == .bearerToken)
        #expect(inventory.notes.contains { $0.contains("ConfigMap") })
    }

    @Test func collidingNamesGetDistinctIds() throws {
        let inventory = try Self.read(Self.list([Self.secret("a.b", data: ["token": Self.b64([1])]), Self.secret("a-b", data: ["token": Self.b64([2])])]))
        #expect(inventory.credentials.map(\.id) == ["k8s-shop-a-b-token", "k8s-shop-a-b-token-2"])
    }

    @Test func badValuesAreNamedWithTheirLine() {
        let text = #"""
            {"kind": "List", "items": [
              {"kind": "Secret", "metadata": {"name": "x"}, "data": {"API_TOKEN": "not base64!"}},
              {"kind": "Secret", "metadata": {"name": "y"}, "data": {"API_TOKEN": 5}},
              {"kind": "Secret", "metadata": {"name": 7}},
              {"kind": "Secret", "metadata": {"name": "z"}, "data": {"API_TOKEN": "\#(String(repeating: "QUFB", count: 400_000))"}}
            ]}
            """#
        let errors = ImportTest.errors { () throws(InputErrors) in try Self.read(Array(text.utf8)) }
        #expect(errors.map(\.location) == ["line 2, items[0].data.API_TOKEN", "line 3, items[1].data.API_TOKEN",
                                           "line 4, items[2].metadata.name", "line 5, items[3].data.API_TOKEN"])
        #expect(errors[0].message.contains("not base64") && errors[3].message.contains("1 MiB"))
    }

    @Test(arguments: ["kind: [", "\u{FF}\u{FE}kind: Secret", "- a\n- b", "a: &x [*x, *x]", "{\"kind\": \"List\", \"items\": 3}"])
    func hostileInputIsAnErrorNotACrash(_ text: String) {
        var bytes = Array(text.utf8)
        if text.hasPrefix("\u{FF}") { bytes = [0xFF, 0xFE] + Array("kind: Secret".utf8) }
        let errors = ImportTest.errors { () throws(InputErrors) in
            try KubernetesSecretsImport.read(bytes, file: "m.yaml", options: ImportTest.options())
        }
        #expect(!errors.isEmpty)
    }
}
