import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RevenantCore
@testable import RevenantReports
import Testing

/// SARIF, JUnit XML, Markdown and CSV written from a run whose inventory and server answers are
/// hostile: quotes, markup, pipes, backticks, line breaks, control characters and a formula.
@Suite struct FindingFormatsTests {
    static let hostileOwner = "<img src=x onerror=alert(1)> | `tick` [click](http://evil.example/x) ![i](http://evil.example/i.png) @admin #12\nsecond line\u{07}"
    static let hostileReason = "status 503: <script>alert('x')</script> & \"quoted\" | pipe\r\n\u{1B}[31mred =cmd|' /C calc'!A0"
    static let formulaID = "=HYPERLINK(\"http://evil.example\",\"x\")"

    /// Four credentials: one still live (critical), one proven dead (info), one unverified (high),
    /// one active with no probe and past its expiry (high, and no owner: low).
    static func report() -> RunReport {
        let live = ReportFixture.check(.authenticated(reason: "status 200 matched authenticated[0]"), status: 200)
        let dead = ReportFixture.check(.rejected(reason: "status 401 matched rejected[0]"), status: 401)
        let flaky = ReportFixture.check(.inconclusive(reason: hostileReason), status: 503, attempts: 3)
        func result(_ id: String, _ state: LifecycleState, owner: String?, checks: [ProbeCheck], file: String, origin: String,
                    expires: Date? = nil) -> CredentialResult {
            let credential = Credential(id: id, kind: .apiKey, state: state, owner: owner, expiresAt: expires,
                                        targets: [ProbeTarget(probe: "acme", target: "https://api.acme.test")], origin: origin, file: file)
            let findings = Classifier.findings(for: credential, checks: checks, policy: Policy(), now: ReportFixture.started)
            return CredentialResult(credential: credential, fingerprint: "sha256:" + String(repeating: "c", count: 16), checks: checks, findings: findings)
        }
        let results = [
            result(formulaID, .revoked, owner: hostileOwner, checks: [live], file: "inv dir/inventory.json", origin: "line 7"),
            result("dead-key", .offboarded, owner: hostileOwner, checks: [dead], file: "inv dir/inventory.json", origin: "line 19"),
            result("flaky-key", .rotated, owner: "team-b", checks: [flaky], file: "/abs/inv.yaml", origin: "line 3"),
            result("old-key", .active, owner: nil, checks: [], file: "", origin: "credentials[3]",
                   expires: ReportFixture.started.addingTimeInterval(-86_400)),
        ]
        return RunReport(runID: "run-7", startedAt: ReportFixture.started, finishedAt: ReportFixture.started.addingTimeInterval(2), complete: true,
                         inventories: ["inv dir/inventory.json"], ledgerHead: nil, results: results)
    }

    static var findings: [Finding] { report().results.flatMap(\.findings) }

    @Test func theFixtureHasTheFindingsTheseTestsCount() {
        let codes = Self.report().results.map { $0.findings.map(\.code.rawValue) }
        #expect(codes == [["residual_access"], ["revocation_verified"], ["revocation_unverified"], ["expired", "ownerless"]])
    }

    @Test func credentialLineComesFromItsOrigin() {
        #expect(Credential(id: "a", kind: .apiKey, state: .active, origin: "line 12").line == 12)
        #expect(Credential(id: "a", kind: .apiKey, state: .active, origin: "credentials[3]").line == nil)
        #expect(Credential(id: "a", kind: .apiKey, state: .active).line == nil)
    }

    // MARK: SARIF

    static func sarif() throws -> [String: Any] {
        let text = ReportFormat.sarif.render(report())
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func sarifHasOneRulePerFindingCodeWithHelpSeverityAndReferences() throws {
        let run = try #require((try Self.sarif()["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "revenant")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["id"] as? String } == FindingCode.allCases.map(\.rawValue))
        let residual = try #require(rules.first { $0["id"] as? String == "residual_access" })
        let properties = try #require(residual["properties"] as? [String: Any])
        #expect(properties["security-severity"] as? String == "9.5")
        #expect((properties["tags"] as? [String])?.contains("security") == true)
        #expect((properties["tags"] as? [String])?.contains("OWASP-NHI-2025:NHI1 Improper Offboarding") == true)
        #expect((residual["defaultConfiguration"] as? [String: String])?["level"] == "error")
        #expect(residual["helpUri"] as? String == "https://owasp.org/www-project-non-human-identities-top-10/2025/1-improper-offboarding/")
        let help = try #require(residual["help"] as? [String: String])
        #expect(help["text"]?.hasPrefix(FindingCode.residualAccess.advice) == true)
        #expect(help["text"]?.contains("NIST-SP-800-53r5:IA-5") == true)
        let ok = try #require(rules.first { $0["id"] as? String == "ok" })
        #expect(ok["helpUri"] == nil, "a code without references has no helpUri")
        let medium = try #require(rules.first { $0["id"] as? String == "rotation_overdue" })
        #expect((medium["properties"] as? [String: Any])?["security-severity"] as? String == "5.5")
    }

    @Test func sarifResultsAreLocatedByInventoryLineAndCredentialWithTheFingerprint() throws {
        let run = try #require((try Self.sarif()["runs"] as? [[String: Any]])?.first)
        let rules = try #require(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == Self.findings.count)
        for r in results {
            let index = try #require(r["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == r["ruleId"] as? String)
        }
        let residual = try #require(results.first { $0["ruleId"] as? String == "residual_access" })
        #expect(residual["level"] as? String == "error")
        #expect(residual["kind"] as? String == "fail")
        #expect((residual["partialFingerprints"] as? [String: String])?[SARIFReport.fingerprintKey] == "sha256:cccccccccccccccc")
        let location = try #require((residual["locations"] as? [[String: Any]])?.first)
        let physical = try #require(location["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: String])?["uri"] == "inv%20dir/inventory.json")
        #expect((physical["region"] as? [String: Int])?["startLine"] == 7)
        #expect((location["logicalLocations"] as? [[String: String]])?.first?["name"] == Self.formulaID)
        #expect(((residual["message"] as? [String: String])?["text"])?.contains(Self.hostileOwner) == true, "JSON carries the text exactly")

        let unverified = try #require(results.first { $0["ruleId"] as? String == "revocation_unverified" })
        let place = try #require(((unverified["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]))
        #expect((place["artifactLocation"] as? [String: String])?["uri"] == "file:///abs/inv.yaml")
        let verified = try #require(results.first { $0["ruleId"] as? String == "revocation_verified" })
        #expect(verified["kind"] as? String == "pass")
        #expect(verified["level"] as? String == "none")
        // A credential with no inventory file is located by its id alone.
        let expired = try #require(results.first { $0["ruleId"] as? String == "expired" })
        let only = try #require((expired["locations"] as? [[String: Any]])?.first)
        #expect(only["physicalLocation"] == nil)
        #expect((only["logicalLocations"] as? [[String: String]])?.first?["name"] == "old-key")
        #expect(((run["invocations"] as? [[String: Any]])?.first?["executionSuccessful"] as? Bool) == true)
    }

    @Test func sarifSaysWhenTheRunIsIncomplete() throws {
        var report = Self.report()
        report.complete = false
        report.incompleteReason = "interrupted (SIGTERM)"
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(ReportFormat.sarif.render(report).utf8)) as? [String: Any])
        let invocation = try #require(((doc["runs"] as? [[String: Any]])?.first?["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        let notification = try #require((invocation["toolExecutionNotifications"] as? [[String: Any]])?.first)
        #expect((notification["message"] as? [String: String])?["text"] == "run incomplete: interrupted (SIGTERM)")
    }

    // MARK: JUnit

    /// Every element of a JUnit document with its attributes and text, as a real XML parser reads it.
    final class XMLElements: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String], text: String)] = []
        var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            open.append(elements.count)
            elements.append((name, attributes, ""))
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { open.removeLast() }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if let i = open.last { elements[i].text += string } }

        static func parse(_ text: String) throws -> XMLElements {
            let parser = XMLParser(data: Data(text.utf8))
            let collected = XMLElements()
            parser.delegate = collected
            #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))\n\(text)")
            return collected
        }

        func named(_ name: String) -> [(name: String, attributes: [String: String], text: String)] { elements.filter { $0.name == name } }
    }

    @Test(arguments: [(Severity?.some(.high), 3), (.critical, 1), (.low, 4), (nil, 0)])
    func junitHasAFailurePerFindingAtOrAboveFailOn(failOn: Severity?, expected: Int) throws {
        let text = ReportFormat.junit.render(Self.report(), failOn: failOn)
        let xml = try XMLElements.parse(text)
        #expect(xml.named("failure").count == expected)
        #expect(xml.named("failure").count == Self.findings.filter { f in failOn.map { f.severity >= $0 } ?? false }.count)
        let root = try #require(xml.named("testsuites").first)
        #expect(root.attributes["failures"] == String(expected))
        // One test case per credential × check, plus `lifecycle` for the credential with no check.
        #expect(xml.named("testcase").count == 4)
        #expect(xml.named("testsuite").count == 4)
    }

    @Test func junitPutsEachFailureOnTheCheckThatShowsIt() throws {
        let xml = try XMLElements.parse(ReportFormat.junit.render(Self.report(), failOn: .high))
        let cases = xml.named("testcase")
        #expect(cases.map { $0.attributes["name"] } == ["acme https://api.acme.test/user", "acme https://api.acme.test/user",
                                                        "acme https://api.acme.test/user", JUnitReport.lifecycleCase])
        #expect(cases.map { $0.attributes["classname"] } == [Self.formulaID, "dead-key", "flaky-key", "old-key"])
        let failures = xml.named("failure")
        #expect(failures.map { $0.attributes["type"] } == ["residual_access", "revocation_unverified", "expired"])
        // The check that proved nothing carries the failure, so it is not also `skipped`.
        #expect(xml.named("skipped").isEmpty)
        let noFail = try XMLElements.parse(ReportFormat.junit.render(Self.report(), failOn: .critical))
        #expect(noFail.named("skipped").count == 1, "an unproven check with no failure on it is skipped")
    }

    @Test func junitEscapesMarkupAndDropsWhatXMLForbids() throws {
        let text = ReportFormat.junit.render(Self.report(), failOn: .high)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no raw control character (tab, CR, ESC, BEL) in the file")
        #expect(!text.contains("<script>") && !text.contains("<img"))
        let xml = try XMLElements.parse(text)
        let owner = try #require(xml.named("property").first { $0.attributes["name"] == "owner" })
        // What the parser reads back is the owner without the BEL that XML 1.0 cannot carry.
        #expect(owner.attributes["value"] == Self.hostileOwner.replacingOccurrences(of: "\u{07}", with: ""))
        let unverified = try #require(xml.named("failure").first { $0.attributes["type"] == "revocation_unverified" })
        #expect(unverified.text.contains("<script>alert('x')</script> & \"quoted\""))
        #expect(xml.named("testsuite").first?.attributes["name"] == Self.formulaID)
    }

    @Test func junitMarksAnIncompleteRunAsAnError() throws {
        var report = Self.report()
        report.complete = false
        report.incompleteReason = "interrupted (SIGINT)"
        let xml = try XMLElements.parse(ReportFormat.junit.render(report))
        #expect(xml.named("error").first?.attributes["message"] == "run incomplete: interrupted (SIGINT)")
        #expect(xml.named("testsuites").first?.attributes["errors"] == "1")
    }

    // MARK: Markdown

    /// The text outside code spans (CommonMark: a run of N backticks up to the next run of exactly N).
    static func outsideCode(_ line: String) -> String {
        var out = ""
        var rest = Substring(line)
        while let start = rest.firstIndex(of: "`") {
            out += rest[..<start]
            let fence = rest[start...].prefix { $0 == "`" }
            let after = rest[fence.endIndex...]
            var search = after
            var closed: Substring.Index?
            while let r = search.range(of: fence) {
                let runEnd = search[r.lowerBound...].firstIndex { $0 != "`" } ?? search.endIndex
                if search.distance(from: r.lowerBound, to: runEnd) == fence.count { closed = runEnd; break }
                search = search[runEnd...]
            }
            guard let end = closed else { out += rest[start...]; return out }
            out += "CODE"
            rest = rest[end...]
        }
        return out + rest
    }

    @Test func markdownHasSummaryOwnerSectionsAndFindingsTable() throws {
        let md = ReportFormat.markdown.render(Self.report())
        #expect(md.hasPrefix("# revenant verify report\n"))
        #expect(md.contains("## Summary\n\n| severity | findings |\n|---|---:|\n| critical | 1 |\n| high | 2 |\n| low | 1 |\n| info | 1 |\n"))
        #expect(md.contains("## By owner"))
        // The hostile owner (two should-be-dead credentials: one still live, one proven dead) comes first.
        let sections = md.components(separatedBy: "\n### ").dropFirst()
        #expect(sections.count == 2, "owners with a should-be-dead credential: \(md)")
        #expect(sections.first?.contains("2 credentials, 1 proven dead, 1 still live") == true)
        #expect(sections.first?.contains("- still live:") == true)
        #expect(sections.dropFirst().first?.contains("- unverified:") == true)
        let rows = Self.findingRows(md)
        #expect(rows.count == Self.findings.count)
        #expect(rows.first?.hasPrefix("| critical | residual_access |") == true)
        #expect(md.contains("## What to do\n\n- **residual_access**: \(FindingCode.residualAccess.advice)"))
    }

    /// "What to do" lists each code found once, worst first, ties in `FindingCode` order, in the
    /// table and in Markdown alike: never a dictionary's order, which differs between two runs.
    @Test func adviceListsAreInOneFixedOrder() {
        let codes: [FindingCode] = [.ocspResponderDown, .expired, .crlStale, .rotationNotDeployed, .ocspResponderUnauthorized,
                                    .weakCrypto, .checkFailed, .expiringSoon, .ownerless, .inventoryDrift, .revocationVerified]
        let credential = Credential(id: "k", kind: .apiKey, state: .active)
        let result = CredentialResult(credential: credential, fingerprint: nil, checks: [],
                                      findings: codes.map { Finding(code: $0, message: "m") })
        let report = RunReport(runID: "r", startedAt: ReportFixture.started, finishedAt: ReportFixture.started, complete: true,
                               inventories: [], ledgerHead: nil, results: [result])
        let expected: [FindingCode] = [.rotationNotDeployed, .expired, .crlStale, .ocspResponderDown, .ocspResponderUnauthorized,
                                       .expiringSoon, .weakCrypto, .checkFailed, .inventoryDrift, .ownerless]
        #expect(report.adviceCodes == expected)
        let table = TableReport.render(report, color: false)
        let advice = table.components(separatedBy: "What to do:\n").last?.split(separator: "\n").filter { $0.hasPrefix("  ") } ?? []
        #expect(advice.map { String($0.dropFirst(2).prefix { $0 != ":" }) } == expected.map(\.rawValue))
        let md = ReportFormat.markdown.render(report)
        #expect(md.contains("## What to do\n\n" + expected.map { "- **\($0.rawValue)**: \($0.advice)\n" }.joined()))
    }

    /// The data rows of the findings table.
    static func findingRows(_ md: String) -> [String] {
        let section = md.components(separatedBy: "\n## Findings\n").last?.components(separatedBy: "\n## ").first ?? ""
        return Array(section.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| ") }.dropFirst())
    }

    @Test func markdownKeepsEveryHostileTextInertInsideCodeSpans() throws {
        let md = ReportFormat.markdown.render(Self.report())
        for line in md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let plain = Self.outsideCode(line)
            for danger in ["<", "](", "@admin", "#12", "http", "\u{1B}", "\u{07}", "=HYPERLINK", "second line"] {
                #expect(!plain.contains(danger), "`\(danger)` outside a code span: \(line)")
            }
        }
        for row in Self.findingRows(md) {
            // A row keeps its 7 cells: only a `|` outside code spans separates them.
            #expect(Self.outsideCode(row).filter { $0 == "|" }.count == 8, "row split by a hostile `|`: \(row)")
        }
        #expect(!md.unicodeScalars.contains { ServerText.isControl($0) && $0 != "\n" })
        // The owner's line break did not start a new line: its second line stays in the heading.
        #expect(md.contains("### `` <img src=x onerror=alert(1)> | `tick` [click](http://evil.example/x)"), "\(md)")
        #expect(md.contains("@admin #12 second line? ``\n"), "\(md)")
    }

    @Test func markdownCodeSpanFenceOutgrowsBackticksInside() {
        #expect(MarkdownText.code("a`b") == "`` a`b ``")
        #expect(MarkdownText.code("``x") == "``` ``x ```")
        #expect(MarkdownText.cell("a|b") == "` a\\|b `")
        #expect(MarkdownText.code("a|b") == "` a|b `")
        #expect(MarkdownText.cell("") == "-")
    }

    // MARK: CSV

    /// RFC 4180 records: quoted fields with `""` for `"`, CRLF between records.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r" && chars.first == "\n" {
                chars.removeFirst()
                record.append(field)
                records.append(record)
                (record, field) = ([], "")
            } else {
                field.unicodeScalars.append(c)
            }
        }
        return records
    }

    @Test func csvHasAHeaderAndOneRowPerFindingInStableColumns() throws {
        let text = ReportFormat.csv.render(Self.report())
        #expect(text.hasPrefix("\"run_id\",\"run_finished_at\",\"severity\",\"code\",\"credential\",\"kind\",\"state\",\"owner\",\"fingerprint\",\"inventory\",\"line\",\"message\",\"advice\",\"references\"\r\n"))
        #expect(text.hasSuffix("\r\n"))
        let records = Self.parseCSV(text)
        #expect(records.first == CSVReport.columns)
        let rows = records.dropFirst()
        #expect(rows.count == Self.findings.count)
        #expect(rows.allSatisfy { $0.count == CSVReport.columns.count })
        let column = Dictionary(uniqueKeysWithValues: CSVReport.columns.enumerated().map { ($1, $0) })
        let first = try #require(rows.first)
        #expect(first[column["code"]!] == "residual_access")
        #expect(first[column["inventory"]!] == "inv dir/inventory.json")
        #expect(first[column["line"]!] == "7")
        #expect(first[column["fingerprint"]!] == "sha256:cccccccccccccccc")
        #expect(first[column["references"]!].contains("OWASP-NHI-2025:NHI1 Improper Offboarding; "))
    }

    @Test func csvNeutralisesFormulasAndKeepsHostileTextInItsCell() throws {
        let records = Self.parseCSV(ReportFormat.csv.render(Self.report()))
        let column = Dictionary(uniqueKeysWithValues: CSVReport.columns.enumerated().map { ($1, $0) })
        let first = try #require(records.dropFirst().first)
        #expect(first[column["credential"]!] == "'" + Self.formulaID, "a leading = is neutralised with an apostrophe")
        #expect(first[column["owner"]!] == Self.hostileOwner.replacingOccurrences(of: "\u{07}", with: "?"))
        let unverified = try #require(records.first { $0[column["code"]!] == "revocation_unverified" })
        #expect(unverified[column["message"]!].contains("<script>alert('x')</script> & \"quoted\" | pipe"))
        for cell in records.joined() {
            if let c = cell.unicodeScalars.first { #expect(!CSVReport.formulaStarts.contains(c), "formula cell: \(cell)") }
            #expect(!cell.unicodeScalars.contains { ServerText.isControl($0) && $0 != "\n" && $0 != "\r" })
        }
        #expect(CSVReport.field("-1") == "\"'-1\"")
        #expect(CSVReport.field("@SUM(A1)") == "\"'@SUM(A1)\"")
        #expect(CSVReport.field("\tx") == "\"'?x\"")
        #expect(CSVReport.field("a\"b") == "\"a\"\"b\"")
    }

    /// A formula behind white space or double quotes (some importers strip them: LibreOffice's
    /// "trim spaces", Google Sheets), or in its small form, is neutralised too; other text is not.
    @Test(arguments: [" =1+1", "  +1", "\"=1+1", "\" \"@SUM(A1)", "\u{A0}=1+1", "\u{3000}=1+1", "\n=1+1", "\u{FE66}1+1", "\u{FE62}1"])
    func csvNeutralisesAFormulaBehindSpacesQuotesOrInSmallForm(_ text: String) {
        #expect(CSVReport.field(text).hasPrefix("\"'"), "\(CSVReport.field(text))")
    }

    @Test func csvLeavesTextThatIsNoFormulaAlone() {
        #expect(CSVReport.field(" team a") == "\" team a\"")
        #expect(CSVReport.field("\"quoted\" 1=1") == "\"\"\"quoted\"\" 1=1\"")
        #expect(CSVReport.field("") == "\"\"")
        #expect(CSVReport.field("   ") == "\"   \"")
    }
}
