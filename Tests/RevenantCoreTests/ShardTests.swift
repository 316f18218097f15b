import Foundation
import RevenantCore
import RevenantCrypto
import Testing

/// `verify --shard I/N`: what is accepted, and the partition rule (docs/shards.md).
@Suite struct ShardTests {
    @Test(arguments: ["0/1", "0/3", "2/3", "999/1000", "0/1000"])
    func validShards(text: String) throws {
        let shard = try #require(Shard(text))
        #expect(shard.description == text)
    }

    @Test(arguments: ["3/3", "0/0", "0/1001", "-1/3", "1/-3", "a/b", "1/2/3", "1", "/3", "1/", " 1/3", "1/3 ", "+1/3", "00001/3", "１/3", ""])
    func invalidShards(text: String) {
        #expect(Shard(text) == nil)
    }

    /// The rule is SHA-256 of the id, first 8 bytes big-endian, mod N: fixed values, so a change
    /// to it (which would split a run differently on two versions) fails here.
    @Test func theRuleIsTheFirstEightBytesOfSHA256ModN() {
        // SHA-256("a") = ca978112ca1bbdca…; 0xca978112ca1bbdca = 14598638918125894090.
        #expect(Shard.part(of: "a", count: 1000) == Int(UInt64(0xca97_8112_ca1b_bdca) % 1000))
        #expect(Shard.part(of: "a", count: 1000) == 250)
        #expect(Shard.part(of: "a", count: 7) == Int(UInt64(0xca97_8112_ca1b_bdca) % 7))
    }

    @Test func everyCredentialIsInExactlyOneShardAndTheShardsAreNotLopsided() {
        let ids = (0..<3000).map { "credential-\($0)" }
        for n in [1, 2, 3, 7] {
            let shards = (0..<n).map { Shard(index: $0, count: n)! }
            var sizes = Array(repeating: 0, count: n)
            for id in ids {
                let holders = shards.filter { $0.holds(credentialID: id) }
                #expect(holders.count == 1)
                sizes[holders[0].index] += 1
            }
            // 3000 ids, uniform hash: each part within 15 % of its share.
            #expect(sizes.allSatisfy { abs(Double($0) - 3000 / Double(n)) < 0.15 * 3000 / Double(n) }, "\(sizes)")
        }
    }

    @Test func hostLimitsAreSharedAmongShards() {
        let limits = HostLimits(maxInFlight: 8, requestsPerSecond: 6)
        #expect(limits.shared(among: 1) == limits)
        #expect(limits.shared(among: 3) == HostLimits(maxInFlight: 2, requestsPerSecond: 2))
        #expect(limits.shared(among: 16) == HostLimits(maxInFlight: 1, requestsPerSecond: 0.375), "at least one in flight")
        #expect(HostLimits(maxInFlight: 4, requestsPerSecond: nil).shared(among: 2) == HostLimits(maxInFlight: 2, requestsPerSecond: nil))
    }
}
