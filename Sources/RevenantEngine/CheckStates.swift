import Foundation
import RevenantCore

extension VerifyEngine {
    /// What one sent (or skipped) check ended with, until the verdicts make its `ProbeCheck`. A large
    /// run holds one per check while it probes: its numbers take 4 bytes each.
    struct CheckState {
        // In this order: the numbers fill the 7 bytes after the outcome's 17, and the date takes 8
        // bytes, not a `Date?`'s 9, so a state is 56 bytes, not 64.
        var outcome: ProbeOutcome
        /// -1: none. An HTTP status is three digits (libcurl reads no other).
        private var statusCode: Int32
        private var attemptCount: Int32
        /// Clamped at 2^31 − 1 ms (24 days): no check waits that long.
        private var totalMs: Int32
        var evidence: String?
        private var packedAt: PackedDate

        init(outcome: ProbeOutcome, status: Int? = nil, attempts: Int, durationMs: Int, evidence: String? = nil, at: Date? = nil) {
            self.outcome = outcome
            self.evidence = evidence
            packedAt = PackedDate(at)
            statusCode = status.map { Int32(clamping: $0) } ?? -1
            attemptCount = Int32(clamping: attempts)
            totalMs = Int32(clamping: durationMs)
        }

        var status: Int? { statusCode < 0 ? nil : Int(statusCode) }
        var attempts: Int { Int(attemptCount) }
        var durationMs: Int { Int(totalMs) }
        var at: Date? { packedAt.date }
    }

    /// Every check's state in one numbering (credential by credential, check by check), held in
    /// blocks of 16,384: not one array (and heap block) per credential, and each block is freed as
    /// soon as the verdicts have read its last check, so the results take its room.
    struct CheckStates {
        private static let blockShift = 14
        private static let blockSize = 1 << blockShift
        private var blocks: [[CheckState?]]
        /// Each credential's first check's number, and the total at the end (a run of 2^31 checks
        /// would not fit in memory).
        private let first: [Int32]
        /// Blocks before this one are freed.
        private var freedBlocks = 0

        /// `counts`: each credential's number of planned checks, in order.
        init(counts: [Int]) {
            var first: [Int32] = []
            first.reserveCapacity(counts.count + 1)
            var total = 0
            for count in counts {
                first.append(Int32(total))
                total += count
            }
            precondition(total <= Int(Int32.max), "a run is at most 2^31 - 1 checks")
            first.append(Int32(total))
            self.first = first
            let blockCount = (total + Self.blockSize - 1) >> Self.blockShift
            blocks = (0..<blockCount).map { b in
                Array(repeating: nil, count: min(Self.blockSize, total - (b << Self.blockShift)))
            }
        }

        /// Credential `ci`'s check `k` (nil: not sent, not decided).
        subscript(ci: Int, k: Int) -> CheckState? {
            get {
                let n = Int(first[ci]) + k
                return blocks[n >> Self.blockShift][n & (Self.blockSize - 1)]
            }
            set {
                let n = Int(first[ci]) + k
                blocks[n >> Self.blockShift][n & (Self.blockSize - 1)] = newValue
            }
        }

        /// Frees every block that holds only checks of credentials up to `ci`; they are not read again.
        mutating func release(through ci: Int) {
            let done = Int(first[ci + 1]) >> Self.blockShift
            while freedBlocks < done {
                blocks[freedBlocks] = []
                freedBlocks += 1
            }
        }
    }
}
