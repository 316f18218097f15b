import Foundation
import RevenantEngine

/// One self-overwriting progress line on stderr, at most ten updates a second.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: `last` is guarded by `lock`.
    private let lock = NSLock()
    private var last = Date.distantPast

    func update(_ p: ProgressUpdate) {
        let now = Date()
        let show = lock.withLock { () -> Bool in
            guard now.timeIntervalSince(last) > 0.1 || p.done == p.total else { return false }
            last = now
            return true
        }
        guard show else { return }
        let counts = p.phase == "probing" ? " — authenticated \(p.authenticated), inconclusive \(p.inconclusive)" : ""
        let line = "\r\u{1B}[K\(p.phase) \(p.done)/\(p.total)\(counts)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
