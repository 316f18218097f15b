import Testing
import RevenantCore

/// `JSONTreeParser`: RFC 8259 values with the line each started on, and the streaming `parseObject`.
@Suite struct JSONTreeParserTests {
    static func parse(_ text: String) throws(InputError) -> Tree {
        try JSONTreeParser.parse(Array(text.utf8), file: "t.json")
    }

    static func error(_ text: String) -> InputError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: strings

    /// (JSON string literal, decoded text)
    static let strings: [(String, String)] = [
        (#""plain""#, "plain"),
        (#""""#, ""),
        (#""a\"b""#, "a\"b"),
        (#""back\\slash""#, "back\\slash"),
        (#""a\/b""#, "a/b"),
        (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
        (#""caf\u00e9""#, "café"),
        (#""\u20AC \u20ac""#, "€ €"),
        (#""\u0000""#, "\u{0}"),
        (#""nul\u0041l""#, "nulAl"),
        (#""\ud83d\ude00""#, "😀"),
        (#""x\uD834\uDD1Ey""#, "x𝄞y"),
        (#""raw UTF-8: 日本語 😀""#, "raw UTF-8: 日本語 😀"),
        (#""lone high \ud800 end""#, "lone high \u{FFFD} end"),
        (#""lone low \udc00""#, "lone low \u{FFFD}"),
        ("\"tab\there\"", "tab\there"),
    ]

    @Test(arguments: strings)
    func stringsDecodeEscapesUnicodeAndSurrogates(literal: String, expected: String) throws {
        let tree = try Self.parse(literal)
        #expect(tree.stringValue == expected)
    }

    /// (input, message fragment)
    static let badStrings: [(String, String)] = [
        (#""abc"#, "unterminated string"),
        ("\"line\nbreak\"", "line break inside a string"),
        (#""bad \q escape""#, "invalid escape `\\q`"),
        (#""\u12""#, "invalid \\u escape"),
        (#""\uZZZZ""#, "invalid \\u escape"),
        (#""\"#, "unterminated string"),
    ]

    @Test(arguments: badStrings)
    func malformedStringsAreErrors(input: String, message: String) {
        let e = Self.error(input)
        #expect(e?.message.hasPrefix("invalid JSON: ") == true)
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
        #expect(e?.file == "t.json")
    }

    /// A high surrogate followed by an escape that is not a low surrogate must not crash the
    /// process: response bodies from remote servers go through this parser (ResponseClassifier).
    @Test func highSurrogateFollowedByNonLowSurrogateDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            _ = try? JSONTreeParser.parse(Array(#"{"a": "\ud83d\u0041"}"#.utf8), file: "t.json")
        }
    }

    // MARK: numbers and literals

    static let numbers = ["0", "-0", "7", "-12", "3.25", "-0.5", "1e10", "1E+2", "2.5e-3", "123456789012345678901234567890"]

    @Test(arguments: numbers)
    func numbersKeepTheTextAsWritten(text: String) throws {
        let tree = try Self.parse(" \(text) ")
        guard case .number(let n) = tree.value else {
            Issue.record("\(text) did not parse as a number: \(tree.typeName)")
            return
        }
        #expect(n == text)
        #expect(tree.plain == .number(Double(text)!))
    }

    @Test(arguments: ["-", "1-2", "1.2.3", "--1", "1e", "2e+"])
    func malformedNumbersAreErrors(text: String) {
        #expect(Self.error(text)?.message == "invalid JSON: malformed number `\(text)`")
    }

    @Test func literalsParse() throws {
        let tree = try Self.parse("[true, false, null]")
        let items = try #require(tree.arrayValue)
        #expect(items.map(\.plain) == [.bool(true), .bool(false), .null])
    }

    @Test(arguments: ["tru", "nul", "False", "undefined", "'single'", "NaN"])
    func unknownWordsAreErrors(text: String) {
        #expect(Self.error(text)?.message.hasPrefix("invalid JSON") == true)
    }

    // MARK: structure and lines

    @Test func nestedValuesKeepOrderAndLines() throws {
        let tree = try Self.parse("""
            {
              "b": [1, {"x": [true]}],
              "a": {
                "deep": {"deeper": [[], {}]},
                "s": "t"
              },
              "n": null
            }
            """)
        let members = try #require(tree.objectValue)
        #expect(members.map(\.key) == ["b", "a", "n"])
        #expect(tree.line == 1)
        #expect(tree["b"]?.line == 2)
        #expect(tree["a"]?.line == 3)
        #expect(tree["a"]?["deep"]?.line == 4)
        #expect(tree["a"]?["s"]?.line == 5)
        #expect(tree["n"]?.line == 7)
        #expect(tree.plain.value(at: "b.1.x.0") == .bool(true))
        #expect(tree.plain.value(at: "a.deep.deeper.0") == .array([]))
        #expect(tree.plain.value(at: "a.deep.deeper.1") == .object([:]))
        #expect(tree.plain.value(at: "b.2") == nil)
        #expect(tree.plain.value(at: "a.missing") == nil)
        #expect(tree.plain.value(at: "a.s.x") == nil)
    }

    @Test func arrayElementsCarryTheirOwnLines() throws {
        let tree = try Self.parse("[\n1,\n\n\"two\",\n{\"three\": 3}\n]")
        #expect(tree.arrayValue?.map(\.line) == [2, 4, 5])
    }

    @Test func whitespaceAndByteOrderMarkAroundTheDocumentAreAllowed() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(" \r\n\t{\"a\": 1}\r\n\n  ".utf8)
        let tree = try JSONTreeParser.parse(bytes, file: "t.json")
        #expect(tree.plain == .object(["a": .number(1)]))
        #expect(tree.line == 2)
    }

    /// (input, line, message fragment)
    static let badDocuments: [(String, Int, String)] = [
        ("{} x", 1, "unexpected text after the end of the document"),
        ("[1]\n\n[2]", 3, "unexpected text after the end of the document"),
        ("", 1, "expected a value but the file ended"),
        ("   \n ", 2, "expected a value but the file ended"),
        ("[1,]", 1, "unexpected `]`"),
        ("{\"a\": 1,}", 1, "expected a quoted member name"),
        ("{a: 1}", 1, "expected a quoted member name"),
        ("{\n\"a\"\n1}", 3, "expected `:` but found `1`"),
        ("[1 2]", 1, "expected `]` but found `2`"),
        ("{\"a\": [1,\n2,\n", 3, "expected a value but the file ended"),
        ("{\"a\": 1", 1, "expected `}` but the file ended"),
        ("\n\n  {\"a\": @}", 3, "unexpected `@`"),
    ]

    @Test(arguments: badDocuments)
    func malformedDocumentsReportTheLine(input: String, line: Int, message: String) {
        let e = Self.error(input)
        #expect(e?.location == "line \(line)", "\(String(describing: e))")
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
    }

    @Test func duplicateMembersAreKeptForTheReaderToReport() throws {
        let tree = try Self.parse(#"{"a": 1, "a": 2}"#)
        #expect(tree.objectValue?.map(\.key) == ["a", "a"])
        #expect(tree["a"]?.plain == .number(1))
    }

    // MARK: streaming parseObject

    @Test func parseObjectHandsOverStreamedElementsOneAtATime() throws {
        let text = """
            {
              "before": {"x": 1},
              "credentials": [
                {"id": "a"},
                {"id": "b"},

                {"id": "c"}
              ],
              "after": [1, 2]
            }
            """
        var seen: [(String, Int, String, Int)] = []
        let rest = try JSONTreeParser.parseObject(Array(text.utf8), file: "inv.json", streaming: ["credentials"]) { key, index, tree in
            seen.append((key, index, tree["id"]?.stringValue ?? "?", tree.line))
        }
        #expect(seen.map(\.0) == ["credentials", "credentials", "credentials"])
        #expect(seen.map(\.1) == [0, 1, 2])
        #expect(seen.map(\.2) == ["a", "b", "c"])
        #expect(seen.map(\.3) == [4, 5, 7])
        #expect(rest.objectValue?.map(\.key) == ["before", "credentials", "after"])
        #expect(rest["credentials"]?.arrayValue?.isEmpty == true)
        #expect(rest["credentials"]?.line == 3)
        #expect(rest["before"]?.plain == .object(["x": .number(1)]))
        #expect(rest["after"]?.plain == .array([.number(1), .number(2)]))
    }

    @Test func parseObjectSaysEachStreamedElementIsReadToItsEnd() throws {
        let bytes = Array(#"{"credentials": [{"id": "a"}, {"id": "b"} ], "x": 1}"#.utf8)
        var offsets: [Int] = []
        _ = try bytes.withUnsafeBufferPointer { buffer throws(InputError) in
            try JSONTreeParser.parseObject(buffer, file: "inv.json", streaming: ["credentials"], element: { _, _, _ in },
                                           consumed: { offsets.append($0) })
        }
        // Right after each element's closing brace: nothing before it is read again.
        #expect(offsets.map { bytes[$0 - 1] } == [UInt8(ascii: "}"), UInt8(ascii: "}")])
        #expect(offsets == offsets.sorted() && offsets.count == 2 && offsets[1] < bytes.count - 8)
    }

    @Test func parseObjectReturnsAStreamedKeyThatIsNotAnArrayAsIs() throws {
        var calls = 0
        let rest = try JSONTreeParser.parseObject(Array(#"{"credentials": {"id": "a"}}"#.utf8), file: "f", streaming: ["credentials"]) { _, _, _ in
            calls += 1
        }
        #expect(calls == 0)
        #expect(rest["credentials"]?.objectValue != nil)
    }

    @Test func parseObjectWithEmptyObjectAndEmptyStreamedArray() throws {
        var calls = 0
        let empty = try JSONTreeParser.parseObject(Array(" {} ".utf8), file: "f", streaming: ["credentials"]) { _, _, _ in calls += 1 }
        #expect(empty.objectValue?.isEmpty == true)
        let none = try JSONTreeParser.parseObject(Array(#"{"credentials": [ ]}"#.utf8), file: "f", streaming: ["credentials"]) { _, _, _ in calls += 1 }
        #expect(none["credentials"]?.arrayValue?.isEmpty == true)
        #expect(calls == 0)
    }

    @Test func parseObjectPropagatesAnErrorThrownForAnElement() {
        var calls = 0
        #expect(throws: InputError(file: "f", location: "element 1", message: "stop")) {
            _ = try JSONTreeParser.parseObject(Array(#"{"c": [1, 2, 3]}"#.utf8), file: "f", streaming: ["c"]) { _, index, _ throws(InputError) in
                calls += 1
                if index == 1 { throw InputError(file: "f", location: "element 1", message: "stop") }
            }
        }
        #expect(calls == 2)
    }

    /// (input, line, message fragment)
    static let badObjects: [(String, Int, String)] = [
        ("[]", 1, "expected the document to be an object"),
        ("\n\n\"text\"", 3, "expected the document to be an object"),
        ("{\"c\": [1, 2} ", 1, "expected `]` but found `}`"),
        ("{\"c\": [1]} trailing", 1, "unexpected text after the end of the document"),
        ("{\"c\": [1],\n\"d\" 2}", 2, "expected `:`"),
        ("{\"c\": [\n1,\n}", 3, "unexpected `}`"),
    ]

    @Test(arguments: badObjects)
    func parseObjectReportsMalformedDocuments(input: String, line: Int, message: String) {
        do {
            _ = try JSONTreeParser.parseObject(Array(input.utf8), file: "f.json", streaming: ["c"]) { _, _, _ in }
            Issue.record("parsed without error")
        } catch {
            #expect(error.file == "f.json")
            #expect(error.location == "line \(line)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    // MARK: writing back

    @Test func serializedTextRoundTrips() throws {
        let text = #"{"b":[1,2.5,"x\"y",true,null],"a":{"k":"\u00e9\n"}}"#
        let tree = try Self.parse(text)
        let written = tree.serialized()
        #expect(written == #"{"b":[1,2.5,"x\"y",true,null],"a":{"k":"é\n"}}"#)
        #expect(try Self.parse(written).plain == tree.plain)
        #expect(tree.serialized(sortedKeys: true).hasPrefix(#"{"a":"#))
    }
}
