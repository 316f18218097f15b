import Foundation
import RevenantCore
@testable import RevenantEngine
import Testing

/// The run state: every check's state by (credential, check), across blocks, and blocks freed only once read.
@Suite struct CheckStatesTests {
    @Test func aCheckStateTakes56Bytes() {
        // A large run holds one per check while it probes.
        #expect(MemoryLayout<VerifyEngine.CheckState?>.stride == 56)
    }

    @Test func aStateGivesBackWhatItWasGiven() {
        let at = Date(timeIntervalSince1970: 1_800_000_000.25)
        let state = VerifyEngine.CheckState(outcome: .rejected(reason: "401"), status: 401, attempts: 2, durationMs: 17, evidence: "e", at: at)
        #expect(state.outcome == .rejected(reason: "401"))
        #expect(state.status == 401 && state.attempts == 2 && state.durationMs == 17 && state.evidence == "e" && state.at == at)
        let skipped = VerifyEngine.CheckState(outcome: .skipped(reason: "x"), attempts: 0, durationMs: 0)
        #expect(skipped.status == nil && skipped.evidence == nil && skipped.at == nil)
    }

    @Test func checksAcrossBlocksAreKeptAndReadBack() {
        // Credentials of 0, 1 and 20,000 checks, then one more: the third spans two blocks.
        var states = VerifyEngine.CheckStates(counts: [0, 1, 20_000, 3])
        for (ci, count) in [(1, 1), (2, 20_000), (3, 3)] {
            for k in 0..<count { states[ci, k] = VerifyEngine.CheckState(outcome: .rejected(reason: "\(ci).\(k)"), attempts: 1, durationMs: k) }
        }
        #expect(states[2, 19_999]?.outcome == .rejected(reason: "2.19999"))
        states.release(through: 1)
        #expect(states[2, 0]?.durationMs == 0 && states[2, 16_382]?.durationMs == 16_382)
        states.release(through: 2)
        // The block the last credential shares with the third is kept.
        #expect(states[3, 2]?.outcome == .rejected(reason: "3.2"))
        #expect(states[2, 19_999]?.durationMs == 19_999)
    }
}
