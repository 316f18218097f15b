import Foundation

/// `REVENANT_TIMING=1` prints how long each phase took to stderr (for benchmarks).
public final class PhaseTimer {
    public init() {}

    let enabled = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"
    var last = ContinuousClock.now

    public func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS") } ?? ""
        FileHandle.standardError.write(Data("timing: \(phase) \(now - last) \(rss)\n".utf8))
        last = now
    }
}
