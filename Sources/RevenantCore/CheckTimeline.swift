import Foundation

/// One secret at one target over time, as `revenant history` shows it: when it was first and last
/// seen live, since when it is proven dead, and each time it came back to life.
public struct CheckTimeline: Sendable, Equatable {
    public var credential: String
    public var owner: String?
    public var key: CheckKey
    public var checks = 0
    public var firstSeenLive: RunMoment?
    public var lastSeenLive: RunMoment?
    /// The first proof of death after the last time it was seen live (nil: not proven dead since).
    public var provenDeadSince: RunMoment?
    /// Every time a proven-dead secret authenticated again.
    public var revivals: [RunMoment] = []
    public var lastChecked: RunMoment
    public var lastVerdict: RecordedVerdict
    public var lastReason: String

    /// Where it stands: `dead` (proven, not seen live since), `live`, or `unproven`.
    public var status: String {
        if provenDeadSince != nil, lastVerdict != .authenticated { return "dead" }
        return lastVerdict == .authenticated ? "live" : (lastSeenLive != nil ? "live?" : "unproven")
    }

    /// Folds checks, oldest first, into one timeline per (secret, probe, target), in first-seen order.
    public struct Builder {
        var timelines: [CheckKey: CheckTimeline] = [:]
        var order: [CheckKey] = []

        public init() {}

        public mutating func add(run: String, credential: String, owner: String?, key: CheckKey, verdict: RecordedVerdict, reason: String, at: Date) {
            let moment = RunMoment(run: run, at: at)
            guard var t = timelines[key] else {
                order.append(key)
                var t = CheckTimeline(credential: credential, owner: owner, key: key, lastChecked: moment, lastVerdict: verdict, lastReason: reason)
                t.apply(verdict, at: moment)
                timelines[key] = t
                return
            }
            (t.credential, t.owner, t.lastChecked, t.lastVerdict, t.lastReason) = (credential, owner ?? t.owner, moment, verdict, reason)
            t.apply(verdict, at: moment)
            timelines[key] = t
        }

        public func build() -> [CheckTimeline] { order.compactMap { timelines[$0] } }
    }

    mutating func apply(_ verdict: RecordedVerdict, at moment: RunMoment) {
        checks += 1
        switch verdict {
        case .authenticated:
            if provenDeadSince != nil { revivals.append(moment) }
            if firstSeenLive == nil { firstSeenLive = moment }
            lastSeenLive = moment
            provenDeadSince = nil
        case .rejected:
            if provenDeadSince == nil { provenDeadSince = moment }
        case .unproven:
            break
        }
    }
}
