/// Writes JSON straight into bytes, member by member, for large reports: no intermediate `Tree`.
/// The output is the same text `Tree.serialized(indent:)` gives for the same values.
public struct JSONStreamWriter {
    public var bytes: [UInt8] = []
    let indent: Int?
    var level: Int
    /// Per open container: whether nothing has been written in it yet.
    var empty: [Bool] = []
    var afterKey = false

    public init(indent: Int?, level: Int = 0, capacity: Int = 64 * 1024) {
        self.indent = indent
        self.level = level
        bytes.reserveCapacity(capacity)
    }

    /// A writer for one value of the container open here, rendered apart (on another thread) and
    /// placed with `append(rendered:)`: the text is the same as writing the value here.
    public func valueWriter(capacity: Int = 4_096) -> JSONStreamWriter {
        JSONStreamWriter(indent: indent, level: level, capacity: capacity)
    }

    /// Places a value a `valueWriter()` of this writer rendered.
    public mutating func append(rendered: [UInt8]) {
        valuePrefix()
        bytes.append(contentsOf: rendered)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    public mutating func key(_ name: String) {
        separate()
        JSONText.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if indent != nil { bytes.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    public mutating func string(_ s: String) {
        valuePrefix()
        JSONText.appendQuoted(s, to: &bytes)
    }

    public mutating func int(_ n: Int) {
        valuePrefix()
        bytes.append(contentsOf: String(n).utf8)
    }

    public mutating func bool(_ b: Bool) {
        valuePrefix()
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
    }

    public mutating func null() {
        valuePrefix()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A whole `Tree` as one value (small documents inside a streamed one).
    public mutating func value(_ tree: Tree) {
        valuePrefix()
        tree.serialize(into: &bytes, indent: indent, level: level)
    }

    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func int(_ n: Int?) { if let n { int(n) } else { null() } }

    /// `"name": value` in one call.
    public mutating func field(_ name: String, _ value: String?) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int?) { key(name); int(value) }

    mutating func open(_ bracket: UInt8) {
        valuePrefix()
        bytes.append(bracket)
        empty.append(true)
        level += 1
    }

    mutating func close(_ bracket: UInt8) {
        level -= 1
        if empty.removeLast() == false { newline() }
        bytes.append(bracket)
    }

    /// Before a value: nothing after a key; inside an array, the comma and line break.
    mutating func valuePrefix() {
        if afterKey {
            afterKey = false
        } else if !empty.isEmpty {
            separate()
        }
    }

    mutating func separate() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        newline()
    }

    mutating func newline() {
        guard let indent else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }
}
