#if canImport(Glibc)
import Glibc
#endif

/// glibc gives each thread that allocates its own malloc arena (up to eight per core), and memory
/// freed into one arena is not reused by the others: a large `verify` (the curl loop's thread and
/// the task pool's both allocating) held about a quarter more than it used. Two arenas are enough
/// for revenant's threads (docs/benchmarks.md, "Memory"). Call before any other thread starts.
enum MallocArenas {
    /// `M_ARENA_MAX` of glibc's <malloc.h>, which the Glibc module does not import (nor `mallopt`).
    static let arenaMax: Int32 = -8

    static func limit() {
        #if canImport(Glibc)
        // RTLD_DEFAULT (a null handle): mallopt from the C library already loaded.
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(arenaMax, 2)
        #endif
    }
}
