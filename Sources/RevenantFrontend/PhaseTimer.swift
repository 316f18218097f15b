import Foundation

/// `REVENANT_TIMING=1` prints how long each phase took to stderr, with the memory held at its end
/// (VmRSS) and the most held so far (VmHWM) (for benchmarks).
public final class PhaseTimer {
    public init() {}

    let enabled = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"
    var last = ContinuousClock.now

    public func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let memory = status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }.joined(separator: " ")
        FileHandle.standardError.write(Data("timing: \(phase) \(now - last) \(memory)\n".utf8))
        last = now
    }
}
