import RevenantCore

extension Shard {
    /// The partition rule: a credential belongs to shard `h mod count`, where `h` is the first 8
    /// bytes (big-endian) of SHA-256 of its id. Stable across machines, runs and Swift versions
    /// (Swift's `Hasher` is seeded per process), and all checks of one credential land in one shard.
    public func holds(credentialID id: String) -> Bool {
        Shard.part(of: id, count: count) == index
    }

    /// The shard index a credential id falls in when a run is split `count` ways.
    public static func part(of id: String, count: Int) -> Int {
        let h = Digest.sha256(id).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(h % UInt64(count))
    }
}
