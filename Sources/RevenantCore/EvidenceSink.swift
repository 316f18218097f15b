/// Where a run's evidence records go (DESIGN §8): the file ledger (RevenantFiles' EvidenceLedger)
/// in production, anything else in tests. The engine writes through this only.
public protocol EvidenceSink: AnyObject, Sendable {
    /// Appends one record (its fields in any order; the sink adds `seq`, `prev` and `hash`) and returns its hash.
    @discardableResult
    func append(_ fields: [(String, Tree)]) -> String
    /// Writes what is buffered.
    func flush()
    /// The hash of the last record appended.
    var head: String { get }
}
