import RevenantCore
import Testing

/// The streaming writer must give exactly the text `Tree.serialized` gives for the same values,
/// so reports read the same whichever way they are built.
@Suite struct JSONStreamWriterTests {
    static let tree = Tree.object([
        ("a", .string("x\"y\n")), ("n", .int(-3)), ("none", .null), ("yes", .bool(true)),
        ("empty_object", .object([])), ("empty_list", .array([])),
        ("list", .array([.int(1), .object([("k", .string("v"))]), .array([])])),
        ("nested", .object([("deep", .object([("x", .optional(nil as String?))]))])),
    ])

    static func streamed(indent: Int?) -> String {
        var w = JSONStreamWriter(indent: indent)
        w.beginObject()
        w.field("a", "x\"y\n")
        w.field("n", -3)
        w.key("none"); w.null()
        w.key("yes"); w.bool(true)
        w.key("empty_object"); w.beginObject(); w.endObject()
        w.key("empty_list"); w.beginArray(); w.endArray()
        w.key("list"); w.beginArray()
        w.int(1)
        w.beginObject(); w.field("k", "v"); w.endObject()
        w.beginArray(); w.endArray()
        w.endArray()
        w.key("nested"); w.value(.object([("deep", .object([("x", .null)]))]))
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test(arguments: [nil, 2, 4] as [Int?])
    func streamedTextEqualsTreeText(indent: Int?) {
        #expect(Self.streamed(indent: indent) == Self.tree.serialized(indent: indent))
    }

    /// Values rendered apart (as reports render results on several threads) and placed afterwards
    /// give the text of writing them in place: first and later elements, nested two deep.
    @Test(arguments: [nil, 2, 4] as [Int?])
    func valuesRenderedApartReadAsWrittenInPlace(indent: Int?) {
        func element(_ n: Int, into w: inout JSONStreamWriter) {
            w.beginObject()
            w.field("n", n)
            w.key("list"); w.beginArray(); w.string("x\(n)"); w.beginObject(); w.endObject(); w.endArray()
            w.endObject()
        }
        func document(apart: Bool) -> String {
            var w = JSONStreamWriter(indent: indent)
            w.beginObject()
            w.field("before", 1)
            w.key("results")
            w.beginArray()
            for n in 0..<3 {
                if apart {
                    var one = w.valueWriter()
                    element(n, into: &one)
                    w.append(rendered: one.bytes)
                } else {
                    element(n, into: &w)
                }
            }
            w.endArray()
            w.endObject()
            return String(decoding: w.bytes, as: UTF8.self)
        }
        #expect(document(apart: true) == document(apart: false))
    }
}
