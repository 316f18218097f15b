import RevenantCore
import Testing

/// One shared copy of repeated values: equal values come back equal (the interner never changes
/// what a value says), and an array handed back is the first one's storage.
@Suite struct ValueInternerTests {
    @Test func equalArraysShareTheFirstOnesStorage() {
        var interner = ValueInterner<[Finding]>()
        let first = interner.intern([Finding(code: .revocationVerified, message: "refused at https://api.example.com")])
        let second = interner.intern([Finding(code: .revocationVerified, message: "refused at https://api.example.com")])
        #expect(first == second)
        #expect(first.withUnsafeBufferPointer { $0.baseAddress } == second.withUnsafeBufferPointer { $0.baseAddress })
        let other = interner.intern([Finding(code: .residualAccess, message: "accepted at https://api.example.com")])
        #expect(other.first?.code == .residualAccess)
    }

    @Test func pastTheLimitValuesComeBackAsGiven() {
        var interner = ValueInterner<[Int]>(limit: 2)
        _ = interner.intern([1])
        _ = interner.intern([2])
        let third = interner.intern([3])
        #expect(third == [3])
        #expect(interner.intern([3]) == [3])
        let again = interner.intern([1])
        #expect(again == [1])
    }
}
