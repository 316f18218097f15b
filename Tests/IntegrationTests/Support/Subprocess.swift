import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped by `waitpid` on a dedicated thread.
/// (Foundation's `Process` can miss a child's exit when many are started from parallel tests and
/// then spins in `waitUntilExit`; this never blocks a Swift concurrency thread.)
final class Subprocess: @unchecked Sendable {
    // @unchecked: `exitStatus` and `reaped` are only touched under `lock`; `pid` never changes.
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var reaped = false
    private let done: AsyncStream<Void>

    /// Starts `executable` with stdin from /dev/null and stdout/stderr appended to the given files.
    /// With `ownProcessGroup` the child leads a new process group, which `signalGroup` reaches whole.
    init(executable: String, arguments: [String], environment: [String: String], cwd: String?,
         stdoutPath: String, stderrPath: String, ownProcessGroup: Bool = false) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions and an empty mask in the child (the test runner may ignore some).
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        // A working directory through the shell: glibc's posix_spawn_file_actions_addchdir_np is not
        // visible to Swift. `sh -c 'cd "$0" && exec "$@"' DIR PROGRAM ARGS...`
        var program = executable
        var argumentList = [executable] + arguments
        if let cwd {
            program = "/bin/sh"
            argumentList = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd] + argumentList
        }
        let argv = argumentList.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw CommandError(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        let spawned = child
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        done = stream
        let thread = Thread { [self] in
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(spawned, &status, 0) } while r == -1 && errno == EINTR
            lock.withLock {
                exitStatus = r == spawned ? status : -1
                reaped = true
            }
            continuation.yield()
            continuation.finish()
        }
        thread.start()
    }

    /// Sends a signal, unless the child was already reaped (its pid may belong to someone else).
    func signal(_ sig: Int32) {
        lock.withLock { if !reaped { _ = kill(pid, sig) } }
    }

    /// Signals the child's whole process group (see `ownProcessGroup`), unless the child was already reaped.
    func signalGroup(_ sig: Int32) {
        lock.withLock { if !reaped { _ = kill(-pid, sig) } }
    }

    /// Waits for the child to end: (true, exit code) or (false, signal number).
    func wait() async -> (exited: Bool, code: Int32) {
        for await _ in done {}
        let status = lock.withLock { exitStatus ?? -1 }
        if status == -1 { return (false, -1) }
        let signal = status & 0x7f
        return signal == 0 ? (true, (status >> 8) & 0xff) : (false, signal)
    }
}
