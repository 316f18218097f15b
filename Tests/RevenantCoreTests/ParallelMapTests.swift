import Foundation
import Testing
@testable import RevenantCore

/// `ParallelMap`: results in input order on every core, and objects dropped on every core.
@Suite struct ParallelMapTests {
    @Test(arguments: [0, 1, 63, 64, 129, 1_000, 10_001])
    func resultsAreInInputOrder(_ count: Int) {
        let items = Array(0..<count)
        #expect(ParallelMap.map(items) { $0 * 3 + 1 } == items.map { $0 * 3 + 1 })
    }

    /// Counts deinitializations, from whichever thread they run on.
    final class Tracked: @unchecked Sendable {
        // @unchecked: the only mutable state is the counter, behind its lock.
        static let lock = NSLock()
        nonisolated(unsafe) static var freed = 0
        let id: Int
        init(_ id: Int) { self.id = id }
        deinit { Self.lock.withLock { Self.freed += 1 } }
    }

    @Test func discardFreesEveryElementButThoseStillHeld() {
        var kept: [Tracked] = []
        do {
            var items = (0..<2_000).map(Tracked.init)
            kept = Array(items[..<10])
            let before = Tracked.lock.withLock { Tracked.freed }
            ParallelMap.discard(consume items)
            let after = Tracked.lock.withLock { Tracked.freed }
            #expect(after - before == 1_990)
            items = []
        }
        #expect(kept.map(\.id) == Array(0..<10))
    }
}
