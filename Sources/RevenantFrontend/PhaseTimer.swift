import Foundation

/// `REVENANT_TIMING=1` prints how long each phase took to stderr, with the memory held at its end
/// (VmRSS), the most held so far (VmHWM) and the CPU time the process spent in it (for benchmarks).
public final class PhaseTimer {
    public init() {}

    let enabled = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"
    var last = ContinuousClock.now
    var lastCPU = PhaseTimer.cpuSeconds()

    /// User + system CPU seconds of the whole process (every thread) so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    public func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let memory = status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }.joined(separator: " ")
        let cpu = PhaseTimer.cpuSeconds()
        let spent = String(format: "%.3f", cpu - lastCPU)
        FileHandle.standardError.write(Data("timing: \(phase) \(now - last) \(memory) CPU: \(spent) s\n".utf8))
        last = now
        lastCPU = cpu
    }
}
