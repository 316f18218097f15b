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
}
