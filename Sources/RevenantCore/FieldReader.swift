/// An object's members, looked up by a linear scan: objects here have a handful of keys, and
/// building a hash table for each of 100,000 inventory rows costs more than it saves.
public struct Fields: Sequence {
    public var members: [(key: String, value: Tree)] = []
    /// The object's own line, for a field that is missing from it.
    public var line = 0

    public init() {}

    public subscript(key: String) -> Tree? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    public var isEmpty: Bool { members.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Tree)]> { members.makeIterator() }
}

/// Reads typed fields out of a `Tree`, collecting every problem with its line and field path
/// instead of stopping at the first, and rejecting unknown fields (a typo must not silently
/// disable a check).
public struct FieldReader {
    public let file: String
    public private(set) var errors: [InputError] = []

    public init(file: String) { self.file = file }

    public func location(_ tree: Tree?, _ path: String) -> String {
        guard let line = tree?.line, line > 0 else { return path }
        return path.isEmpty ? "line \(line)" : "line \(line), \(path)"
    }

    /// Drops every error after the first `count` (a file read no further shows only those).
    public mutating func keepFirst(_ count: Int) {
        if errors.count > count { errors.removeLast(errors.count - count) }
    }

    public mutating func fail(_ tree: Tree?, _ path: String, _ message: String) {
        errors.append(InputError(file: file, location: location(tree, path), message: message))
    }

    /// The members of an object, after checking every key is one of `allowed`.
    public mutating func object(_ tree: Tree, _ path: String, allowed: [String]) -> Fields? {
        guard let members = tree.objectValue else {
            fail(tree, path, "expected an object, found \(tree.typeName)")
            return nil
        }
        var out = Fields()
        out.line = tree.line
        for (key, value) in members {
            // A key is echoed only when short and plain: a megabyte-long key is not copied into the error.
            if out[key] != nil {
                fail(value, join(path, FieldReader.shownKey(key)), "field \(FieldReader.shown(key)) appears twice")
            } else if !allowed.contains(key) {
                let hint = FieldReader.closest(to: key, in: allowed).map { " (did you mean `\($0)`?)" } ?? ""
                fail(value, join(path, FieldReader.shownKey(key)), "unknown field \(FieldReader.shown(key))\(hint); expected one of: \(allowed.joined(separator: ", "))")
            }
            out.members.append((key, value))
        }
        return out
    }

    public func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public mutating func string(_ fields: Fields, _ key: String, _ path: String, required: Bool = false) -> String? {
        guard let tree = fields[key], !isNull(tree) else {
            if required { missing(fields, path, key) }
            return nil
        }
        // No number becomes a string: `"id": 5` is a typo for `"id": "5"` or worse, and a
        // numeric YAML value (`username: 0123`) would lose its leading zero.
        guard let s = tree.stringValue else {
            fail(tree, join(path, key), "expected a string, found \(tree.typeName)")
            return nil
        }
        if required && s.isEmpty { fail(tree, join(path, key), "`\(key)` must not be empty") }
        return s
    }

    public mutating func choice<E: RawRepresentable & CaseIterable>(
        _ fields: Fields, _ key: String, _ path: String, as type: E.Type, required: Bool = false
    ) -> E? where E.RawValue == String {
        guard let s = string(fields, key, path, required: required) else { return nil }
        if let value = E(rawValue: s) { return value }
        let allowed = E.allCases.map(\.rawValue)
        let hint = FieldReader.closest(to: s, in: allowed).map { " (did you mean `\($0)`?)" } ?? ""
        fail(fields[key], join(path, key), "\(FieldReader.shown(s)) is not a valid \(key)\(hint); expected one of: \(allowed.joined(separator: ", "))")
        return nil
    }

    public mutating func date(_ fields: Fields, _ key: String, _ path: String) -> Date? {
        guard let s = string(fields, key, path) else { return nil }
        if let d = Timestamp.parse(s) { return d }
        fail(fields[key], join(path, key), "\(FieldReader.shown(s)) is not a date; expected ISO-8601 like 2026-11-01T09:30:00Z")
        return nil
    }

    /// A required field that is not there, at the line of the object that lacks it.
    public mutating func missing(_ fields: Fields, _ path: String, _ key: String) {
        let field = join(path, key)
        errors.append(InputError(file: file, location: fields.line > 0 ? "line \(fields.line), \(field)" : field,
                                 message: "required field `\(key)` is missing"))
    }

    public mutating func bool(_ fields: Fields, _ key: String, _ path: String) -> Bool? {
        guard let tree = fields[key], !isNull(tree) else { return nil }
        if case .bool(let b) = tree.value { return b }
        fail(tree, join(path, key), "expected true or false, found \(tree.typeName)")
        return nil
    }

    public mutating func number(_ fields: Fields, _ key: String, _ path: String, min: Double? = nil) -> Double? {
        guard let tree = fields[key], !isNull(tree) else { return nil }
        guard case .number(let text) = tree.value, let n = Double(text) else {
            fail(tree, join(path, key), "expected a number, found \(tree.typeName)")
            return nil
        }
        if let min, n < min {
            fail(tree, join(path, key), "must be at least \(min.formatted()), found \(text)")
            return nil
        }
        return n
    }

    /// A number within `range` (an error names the range).
    public mutating func number(_ fields: Fields, _ key: String, _ path: String, in range: ClosedRange<Double>) -> Double? {
        within(range, number(fields, key, path), fields, key, path) { $0.formatted() }
    }

    /// A whole number within `range` (an error names the range).
    public mutating func integer(_ fields: Fields, _ key: String, _ path: String, in range: ClosedRange<Int>) -> Int? {
        within(range, integer(fields, key, path), fields, key, path) { String($0) }
    }

    /// `value` when it is in `range`; else the field's error, and nil.
    mutating func within<T: Comparable>(_ range: ClosedRange<T>, _ value: T?, _ fields: Fields, _ key: String, _ path: String,
                                        shown: (T) -> String) -> T? {
        guard let value else { return nil }
        if range.contains(value) { return value }
        fail(fields[key], join(path, key), "must be from \(shown(range.lowerBound)) to \(shown(range.upperBound)), found \(shown(value))")
        return nil
    }

    public mutating func integer(_ fields: Fields, _ key: String, _ path: String, min: Int? = nil) -> Int? {
        guard let tree = fields[key], !isNull(tree) else { return nil }
        guard case .number(let text) = tree.value, let n = Int(text) else {
            fail(tree, join(path, key), "expected a whole number, found \(tree.typeName == "a number" ? "`\(tree.plain.text)`" : tree.typeName)")
            return nil
        }
        if let min, n < min {
            fail(tree, join(path, key), "must be at least \(min), found \(n)")
            return nil
        }
        return n
    }

    public mutating func stringList(_ fields: Fields, _ key: String, _ path: String, required: Bool = false) -> [String]? {
        guard let tree = fields[key], !isNull(tree) else {
            if required { fail(nil, join(path, key), "required field `\(key)` is missing") }
            return nil
        }
        guard let items = tree.arrayValue else {
            fail(tree, join(path, key), "expected a list of strings, found \(tree.typeName)")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else {
                fail(item, "\(join(path, key))[\(i)]", "expected a string, found \(item.typeName)")
                continue
            }
            out.append(s)
        }
        return out
    }

    public mutating func stringMap(_ fields: Fields, _ key: String, _ path: String) -> [String: String]? {
        guard let tree = fields[key], !isNull(tree) else { return nil }
        guard let members = tree.objectValue else {
            fail(tree, join(path, key), "expected an object of strings, found \(tree.typeName)")
            return nil
        }
        var out: [String: String] = [:]
        for (k, v) in members {
            if k.isEmpty {
                fail(v, join(path, key), "a tag has an empty name")
                continue
            }
            // Strings only: `5` or `true` where text goes is a mistake to name, not to convert.
            switch v.value {
            case .string(let s): out[k] = s
            default: fail(v, "\(join(path, key)).\(FieldReader.shownKey(k))", "expected a string, found \(v.typeName)")
            }
        }
        return out
    }

    /// A key as it may stand in a field path: itself when short and plain, else `(a N-character key)`.
    static func shownKey(_ s: String) -> String {
        s.count <= 64 && s.allSatisfy { $0.isLetter || $0.isNumber || "-_".contains($0) } ? s : "(a \(s.count)-character key)"
    }

    /// A value as error messages show it: short plain words quoted, anything else only by its
    /// length (a long or odd value may be a secret in the wrong column).
    public static func shown(_ s: String) -> String {
        let plain = s.count <= 24 && s.allSatisfy { $0.isLetter || $0.isNumber || "-_:.+ ".contains($0) }
        return plain ? "`\(s)`" : "a \(s.count)-character value"
    }

    func isNull(_ tree: Tree) -> Bool { if case .null = tree.value { true } else { false } }

    /// The allowed word within edit distance 2 of a typo, for "did you mean" hints.
    static func closest(to word: String, in candidates: [String]) -> String? {
        candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

import Foundation
