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

    /// Results are moved out of the workers' slots: each object made is in the result once, and
    /// freed once the result is dropped (neither leaked nor freed early).
    @Test func resultObjectsAreHandedOverOnce() {
        weak var first: Made?
        weak var last: Made?
        do {
            let results = ParallelMap.map(Array(0..<1_000)) { Made(id: $0) }
            #expect(results.map(\.id) == Array(0..<1_000))
            first = results.first
            last = results.last
            #expect(first != nil && last != nil)
        }
        #expect(first == nil && last == nil)
    }

    /// A result object (not `Tracked`: its counter belongs to the test below, which may run at the same time).
    final class Made: Sendable {
        let id: Int
        init(id: Int) { self.id = id }
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
