import RevenantCore
import RevenantProbes

/// Probe definitions built in code, so a test shows every field it relies on.
enum SampleProbe {
    static func make(
        auth: AuthScheme = .bearer,
        method: String = "GET", path: String = "/v1/me", headers: [String: String] = [:], body: String? = nil,
        authenticated: [Matcher] = [Matcher(status: [200])],
        rejected: [Matcher] = [Matcher(status: [401])]
    ) -> ProbeDefinition {
        ProbeDefinition(
            id: "sample", title: "Sample", kinds: [.apiKey], defaultTarget: "https://api.example.com",
            allowedHosts: ["api.example.com"],
            request: RequestTemplate(method: method, path: path, headers: headers, body: body, readOnly: method == "POST"),
            auth: auth, authenticated: authenticated, rejected: rejected, docs: "https://docs.example.com")
    }
}
