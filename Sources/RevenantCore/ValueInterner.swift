/// Keeps one shared copy of each repeated value, up to `limit` distinct ones. Strings and arrays
/// share their storage when copied, so a large run holds a text, a target list, a credential's
/// planned checks or its findings once instead of once per credential.
public struct ValueInterner<Value: Hashable> {
    private var seen: Set<Value> = []
    let limit: Int

    public init(limit: Int = 4_096) { self.limit = limit }

    /// The copy already held that equals `value`, else `value` (kept while there is room).
    public mutating func intern(_ value: Value) -> Value {
        if let i = seen.firstIndex(of: value) { return seen[i] }
        if seen.count < limit { seen.insert(value) }
        return value
    }
}
