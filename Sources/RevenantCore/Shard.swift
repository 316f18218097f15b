/// `verify --shard I/N`: this run checks the `index`-th of `count` parts of the inventory
/// (0-based, so Kubernetes' `JOB_COMPLETION_INDEX` is passed as it is). Which part a credential
/// falls in is `Shard.holds` (RevenantCrypto): a hash of its id, the same on every machine.
public struct Shard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    /// How many parts a run may be split into.
    public static let counts = 1...1000

    public init?(index: Int, count: Int) {
        guard Shard.counts.contains(count), (0..<count).contains(index) else { return nil }
        (self.index, self.count) = (index, count)
    }

    /// `I/N` with 0 ≤ I < N and N from 1 to 1000; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

/// Digests of the files a run read (SHA-256 of their bytes and names): shard reports of one
/// split run carry the same, so `merge` can refuse reports of different inputs.
public struct RunInputDigests: Sendable, Equatable {
    public var inventory: String?
    public var configuration: String?

    public init(inventory: String?, configuration: String?) {
        (self.inventory, self.configuration) = (inventory, configuration)
    }
}
