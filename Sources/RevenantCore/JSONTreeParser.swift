/// A small JSON parser (RFC 8259) that records the line of every value, so errors can say
/// "line 12" and not only a path. It can also hand over the elements of one top-level array
/// one at a time, so a large inventory is never held whole as a tree. It reads through a buffer
/// pointer its entry points hold for the length of the parse (every value it returns is a copy).
public struct JSONTreeParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var line = 1
    var depth = 0
    /// Nesting deeper than this is refused instead of exhausting the stack (hostile bodies).
    static let maxDepth = 256
    public let file: String
    /// Inventories: a `\u` escape of a lone surrogate is refused (a secret made of it would be
    /// sent altered). Elsewhere (server answers) it reads as U+FFFD.
    var strict = false

    /// `bytes` must stay valid for as long as the parser is used.
    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(InputError) -> Tree {
        try bytes.withUnsafeBufferPointer { buffer throws(InputError) in
            var parser = JSONTreeParser(bytes: buffer, file: file)
            parser.skipBOM()
            let tree = try parser.parseValue()
            try parser.expectEnd()
            return tree
        }
    }

    /// Parses a top-level object; members named in `streamed` must be arrays whose elements go to
    /// `element(key, index, tree)` one at a time; other members are returned.
    public static func parseObject(
        _ bytes: [UInt8], file: String, streaming streamed: Set<String>,
        element: (String, Int, Tree) throws(InputError) -> Void
    ) throws(InputError) -> Tree {
        try bytes.withUnsafeBufferPointer { buffer throws(InputError) in
            try parseObject(buffer, file: file, streaming: streamed, element: element)
        }
    }

    /// As above, over bytes the caller holds for the length of the call. After each element,
    /// `consumed(offset)` says that the bytes before `offset` will not be read again (a large file's
    /// pages can then be given back as the parse goes).
    public static func parseObject(
        _ bytes: UnsafeBufferPointer<UInt8>, file: String, streaming streamed: Set<String>,
        element: (String, Int, Tree) throws(InputError) -> Void, consumed: (Int) -> Void = { _ in }
    ) throws(InputError) -> Tree {
        var parser = JSONTreeParser(bytes: bytes, file: file)
        parser.strict = true
        parser.skipBOM()
        parser.skipSpace()
        let startLine = parser.line
        guard parser.peek == UInt8(ascii: "{") else {
            throw parser.error("expected the document to be an object `{ ... }`")
        }
        parser.index += 1
        var members: [(key: String, value: Tree)] = []
        parser.skipSpace()
        if parser.peek == UInt8(ascii: "}") {
            parser.index += 1
        } else {
            while true {
                parser.skipSpace()
                let key = try parser.parseString()
                parser.skipSpace()
                try parser.expect(UInt8(ascii: ":"))
                parser.skipSpace()
                if streamed.contains(key), parser.peek == UInt8(ascii: "[") {
                    let arrayLine = parser.line
                    parser.index += 1
                    var i = 0
                    parser.skipSpace()
                    if parser.peek == UInt8(ascii: "]") {
                        parser.index += 1
                    } else {
                        while true {
                            parser.skipSpace()
                            try element(key, i, try parser.parseValue())
                            consumed(parser.index)
                            i += 1
                            parser.skipSpace()
                            if parser.peek == UInt8(ascii: ",") { parser.index += 1; continue }
                            try parser.expect(UInt8(ascii: "]"))
                            break
                        }
                    }
                    members.append((key, Tree(.array([]), line: arrayLine)))
                } else {
                    members.append((key, try parser.parseValue()))
                }
                parser.skipSpace()
                if parser.peek == UInt8(ascii: ",") { parser.index += 1; continue }
                try parser.expect(UInt8(ascii: "}"))
                break
            }
        }
        try parser.expectEnd()
        return Tree(.object(members), line: startLine)
    }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ message: String) -> InputError {
        InputError(file: file, location: "line \(line)", message: "invalid JSON: \(message)")
    }

    mutating func skipBOM() {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"): line += 1; index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8) throws(InputError) {
        guard peek == byte else {
            throw error("expected `\(Character(UnicodeScalar(byte)))`" + (peek.map { " but found `\(Character(UnicodeScalar($0)))`" } ?? " but the file ended"))
        }
        index += 1
    }

    mutating func expectEnd() throws(InputError) {
        skipSpace()
        if index < bytes.count { throw error("unexpected text after the end of the document") }
    }

    mutating func parseValue() throws(InputError) -> Tree {
        skipSpace()
        let startLine = line
        guard let c = peek else { throw error("expected a value but the file ended") }
        switch c {
        case UInt8(ascii: "{"):
            index += 1
            depth += 1
            defer { depth -= 1 }
            if depth > JSONTreeParser.maxDepth { throw error("nested more than \(JSONTreeParser.maxDepth) levels deep") }
            var members: [(key: String, value: Tree)] = []
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return Tree(.object(members), line: startLine) }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
                let key = try parseString()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                members.append((key, try parseValue()))
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"))
                return Tree(.object(members), line: startLine)
            }
        case UInt8(ascii: "["):
            index += 1
            depth += 1
            defer { depth -= 1 }
            if depth > JSONTreeParser.maxDepth { throw error("nested more than \(JSONTreeParser.maxDepth) levels deep") }
            var items: [Tree] = []
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return Tree(.array(items), line: startLine) }
            while true {
                items.append(try parseValue())
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"))
                return Tree(.array(items), line: startLine)
            }
        case UInt8(ascii: "\""):
            return Tree(.string(try parseString()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return Tree(.bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return Tree(.bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return Tree(.null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            while let d = peek, d == UInt8(ascii: "-") || d == UInt8(ascii: "+") || d == UInt8(ascii: ".")
                || d == UInt8(ascii: "e") || d == UInt8(ascii: "E") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) {
                index += 1
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard Double(text) != nil else { throw error("malformed number `\(text)`") }
            return Tree(.number(text), line: startLine)
        default:
            throw error("unexpected `\(Character(UnicodeScalar(c)))`")
        }
    }

    mutating func literal(_ word: String) throws(InputError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("expected `\(word)`")
        }
        index += w.count
    }

    mutating func parseString() throws(InputError) -> String {
        try expect(UInt8(ascii: "\""))
        // Fast path: no escape before the closing quote.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] != UInt8(ascii: "\n") {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            index = end + 1
            return text
        }
        var out = [UInt8]()
        while true {
            guard let c = peek else { throw error("unterminated string") }
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw error("unterminated string") }
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(e)
                case UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    // A high surrogate combines only with a following low surrogate (RFC 8259 §7);
                    // a lone one names no character (strict: refused; else U+FFFD).
                    if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                       let low = UInt32(String(decoding: bytes[index + 2..<index + 6], as: UTF8.self), radix: 16),
                       (0xDC00..<0xE000).contains(low) {
                        index += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    if strict, UnicodeScalar(scalar) == nil { throw error("`\\u` escape of a lone surrogate (not a character)") }
                    out += Array(String(Character(UnicodeScalar(scalar) ?? "\u{FFFD}")).utf8)
                default: throw error("invalid escape `\\\(Character(UnicodeScalar(e)))`")
                }
            case UInt8(ascii: "\n"):
                throw error("line break inside a string")
            default:
                out.append(c)
            }
        }
    }

    mutating func hex4() throws(InputError) -> UInt32 {
        guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        index += 4
        return v
    }
}
