#if canImport(Glibc)
import Glibc
#endif

/// glibc gives each thread that allocates its own malloc arena (up to eight per core), and memory
/// freed into one arena is not reused by the others: a large `verify` (the curl loop's thread and
/// the task pool's both allocating) held about a quarter more than it used. Two arenas are enough
/// for revenant's threads (docs/benchmarks.md, "Memory"). Call before any other thread starts.
enum MallocArenas {
    /// `M_TRIM_THRESHOLD`, `M_TOP_PAD` and `M_ARENA_MAX` of glibc's <malloc.h>, which the Glibc
    /// module does not import (nor `mallopt`).
    static let trimThreshold: Int32 = -1
    static let topPad: Int32 = -2
    static let arenaMax: Int32 = -8

    static func limit() { set(arenaMax, 2) }

    /// For a run that allocates and frees in waves (`certs`: each phase frees what the last made):
    /// memory freed at an arena's top is kept up to 64 MiB instead of going back to the kernel at
    /// 128 KiB, and an arena grows 4 MiB at a time, so the next wave does not fault the same pages
    /// in again (10,000 certificates: ~14,800 → ~10,700 page faults, 2 MB more held at most).
    static func keepFreedMemory() {
        set(trimThreshold, 64 << 20)
        set(topPad, 4 << 20)
    }

    private static func set(_ option: Int32, _ value: Int32) {
        #if canImport(Glibc)
        // RTLD_DEFAULT (a null handle): mallopt from the C library already loaded.
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(option, value)
        #endif
    }
}
