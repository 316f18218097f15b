import Foundation
import RevenantCore
import RevenantProbes

/// Where the shipped `Probes/` directory is: `$REVENANT_PROBES`, else next to or above the executable.
public enum ShippedProbes {
    public static func directory() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["REVENANT_PROBES"], !dir.isEmpty { return dir }
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in [dir.appendingPathComponent("Probes"), dir.appendingPathComponent("share/revenant/Probes")] {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue { return candidate.path }
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// Shipped probes, then config `probes_dirs`, then `extra` (later ones replace earlier ids).
    public static func load(extra: [String], config: Configuration, includeShipped: Bool = true) -> (definitions: [String: ProbeDefinition], problems: [LintProblem]) {
        var dirs: [String] = []
        if includeShipped, let shipped = directory() { dirs.append(shipped) }
        // The same directory named twice (config and flag) is read once.
        var seen: Set<String> = []
        let paths = (dirs + config.probesDirs + extra).filter {
            seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path).inserted
        }
        return ProbeLoader.load(paths: paths)
    }
}
