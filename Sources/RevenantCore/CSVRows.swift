/// RFC 4180 CSV with a header row, turned into one `Tree` object per row so CSV inventories are
/// checked by the same rules as JSON and YAML. Cells `secret` (`env:NAME`, `file:PATH`,
/// `value:TEXT`) and `tags` (`k=v;k2=v2`) are expanded into their object forms; empty cells are absent.
enum CSVRows {
    struct Row {
        var tree: Tree
        var index: Int
        var line: Int
    }

    static func forEach(_ bytes: [UInt8], file: String, _ body: (Row) throws(InputError) -> Void) throws(InputError) {
        try bytes.withUnsafeBufferPointer { buffer throws(InputError) in try forEach(buffer, file: file, body) }
    }

    static func forEach(_ bytes: UnsafeBufferPointer<UInt8>, file: String, _ body: (Row) throws(InputError) -> Void) throws(InputError) {
        var header: [String]? = nil
        var index = 0
        var line = 1
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < bytes.count {
            let startLine = line
            var cells: [String] = []
            // Quoted cells keep their spaces (a password may end in one); unquoted ones are trimmed.
            var quotedCells: [Bool] = []
            var cellWasQuoted = false
            var cell = [UInt8]()
            var quoted = false
            var endOfRow = false
            while i < bytes.count && !endOfRow {
                let c = bytes[i]
                i += 1
                if quoted {
                    if c == UInt8(ascii: "\"") {
                        if i < bytes.count && bytes[i] == UInt8(ascii: "\"") { cell.append(c); i += 1 } else { quoted = false }
                    } else {
                        if c == UInt8(ascii: "\n") { line += 1 }
                        cell.append(c)
                    }
                    continue
                }
                switch c {
                case UInt8(ascii: "\""): quoted = true; cellWasQuoted = true
                case UInt8(ascii: ","):
                    cells.append(String(decoding: cell, as: UTF8.self)); quotedCells.append(cellWasQuoted)
                    cell = []; cellWasQuoted = false
                case UInt8(ascii: "\r"): break
                case UInt8(ascii: "\n"): line += 1; endOfRow = true
                default: cell.append(c)
                }
            }
            if quoted { throw InputError(file: file, location: "line \(startLine)", message: "unterminated quoted cell") }
            cells.append(String(decoding: cell, as: UTF8.self))
            quotedCells.append(cellWasQuoted)
            if cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard let columns = header else {
                header = cells.map { $0.trimmingCharacters(in: .whitespaces) }
                continue
            }
            if cells.count != columns.count {
                throw InputError(file: file, location: "line \(startLine)", message: "expected \(columns.count) cells like the header, found \(cells.count)")
            }
            var members: [(key: String, value: Tree)] = []
            for (k, (name, raw)) in zip(columns, cells).enumerated() {
                let text = quotedCells[k] ? raw : raw.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                members.append((name, expand(name, text, line: startLine, file: file)))
            }
            try body(Row(tree: Tree(.object(members), line: startLine), index: index, line: startLine))
            index += 1
        }
    }

    static func expand(_ column: String, _ text: String, line: Int, file: String) -> Tree {
        switch column {
        case "secret", "private_key", "certificate", "issuer":
            // Only a short lowercase word before `:` expands (so `envv:` still gets "did you mean env");
            // anything else stays a string, whose error repeats nothing (it may be a bare secret).
            guard let colon = text.firstIndex(of: ":"), (1...8).contains(text.distance(from: text.startIndex, to: colon)),
                  text[..<colon].allSatisfy({ ("a"..."z").contains($0) }) else {
                return Tree(.string(text), line: line)
            }
            let kind = String(text[..<colon]), rest = String(text[text.index(after: colon)...])
            return Tree(.object([(kind, Tree(.string(rest), line: line))]), line: line)
        case "tags":
            // An empty key stays empty and is reported by the tag reader, never a crash.
            let pairs = text.split(separator: ";").map { pair -> (key: String, value: Tree) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return (parts[0].trimmingCharacters(in: .whitespaces), Tree(.string(parts.count > 1 ? parts[1] : ""), line: line))
            }
            return Tree(.object(pairs), line: line)
        default:
            return Tree(.string(text), line: line)
        }
    }
}

import Foundation
