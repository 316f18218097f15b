import Foundation

/// A fresh directory under the system temporary directory, removed when the value goes away.
/// Tests write their inputs here at run time so every fixture is visible in the test itself.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` (sub-directories are created) and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let full = (path as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }
}
