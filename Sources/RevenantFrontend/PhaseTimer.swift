import Foundation

/// `REVENANT_TIMING=1` prints how long each phase took to stderr, with the memory held at its end
/// (VmRSS), the most held so far (VmHWM) and the CPU time the process spent in it (for benchmarks).
public final class PhaseTimer {
    public init() {}

    let enabled = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"
    var last = ContinuousClock.now
    var lastUsage = PhaseTimer.usage()

    /// The whole process's usage so far (every thread): user + system CPU seconds, and how often a
    /// thread gave up its core to wait (voluntary context switches) or was made to (involuntary:
    /// other processes wanted the core).
    static func usage() -> (cpu: Double, voluntary: Int, involuntary: Int) {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return (0, 0, 0) }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime) + seconds(usage.ru_stime), usage.ru_nvcsw, usage.ru_nivcsw)
    }

    public func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let memory = status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }.joined(separator: " ")
        let usage = PhaseTimer.usage()
        let spent = String(format: "%.3f", usage.cpu - lastUsage.cpu)
        let switches = "switches: \(usage.voluntary - lastUsage.voluntary) voluntary, \(usage.involuntary - lastUsage.involuntary) involuntary"
        FileHandle.standardError.write(Data("timing: \(phase) \(now - last) \(memory) CPU: \(spent) s \(switches)\n".utf8))
        last = now
        lastUsage = usage
    }
}
