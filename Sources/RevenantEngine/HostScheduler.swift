import RevenantCore

/// Decides which queued job may start now, per host: at most `maxInFlight` at once and at most
/// `requestsPerSecond` starts per second. Each host has its own queue, so a slow or rate-limited
/// host never holds back the others (no head-of-line blocking). A value type: time is an argument,
/// so it is tested without sockets or sleeping.
public struct HostScheduler<Job> {
    struct Host {
        var limits: HostLimits
        var ready: [Job] = []
        var head = 0
        /// Jobs that may not start before a time (retries after backoff or Retry-After).
        var delayed: [(notBefore: Double, job: Job)] = []
        var inFlight = 0
        var nextStart = 0.0

        var hasReady: Bool { head < ready.count }
    }

    var hosts: [String: Host] = [:]
    var order: [String] = []
    var cursor = 0
    public private(set) var queued = 0

    public init() {}

    /// Sets a host's limits; call before enqueuing jobs for it.
    public mutating func configure(host: String, limits: HostLimits) {
        if hosts[host] == nil {
            hosts[host] = Host(limits: limits)
            order.append(host)
        } else {
            hosts[host]!.limits = limits
        }
    }

    public mutating func enqueue(_ job: Job, host: String, notBefore: Double? = nil) {
        if hosts[host] == nil { configure(host: host, limits: HostLimits(maxInFlight: .max, requestsPerSecond: nil)) }
        if let notBefore {
            hosts[host]!.delayed.append((notBefore, job))
        } else {
            hosts[host]!.ready.append(job)
        }
        queued += 1
    }

    /// The next job that may start at `now`, taking hosts in turn; nil if none may start yet.
    public mutating func next(now: Double) -> (job: Job, host: String)? {
        guard queued > 0, !order.isEmpty else { return nil }
        for step in 0..<order.count {
            let index = (cursor + step) % order.count
            let name = order[index]
            guard var host = hosts[name], host.inFlight < max(1, host.limits.maxInFlight), host.nextStart <= now else { continue }
            if !host.delayed.isEmpty, let i = host.delayed.firstIndex(where: { $0.notBefore <= now }) {
                let job = host.delayed.remove(at: i).job
                take(&host, name: name, index: index, now: now)
                return (job, name)
            }
            guard host.hasReady else { continue }
            let job = host.ready[host.head]
            host.head += 1
            if host.head > 1024 && host.head * 2 > host.ready.count {
                host.ready.removeFirst(host.head)
                host.head = 0
            }
            take(&host, name: name, index: index, now: now)
            return (job, name)
        }
        return nil
    }

    private mutating func take(_ host: inout Host, name: String, index: Int, now: Double) {
        host.inFlight += 1
        host.nextStart = max(host.nextStart, now) + (host.limits.requestsPerSecond.map { 1 / $0 } ?? 0)
        hosts[name] = host
        queued -= 1
        cursor = (index + 1) % order.count
    }

    /// A job of `host` finished.
    public mutating func complete(host: String) {
        hosts[host]?.inFlight -= 1
    }

    /// The earliest time a waiting job could start if a slot is free then; nil if nothing waits on time.
    public func nextWake(now: Double) -> Double? {
        var earliest: Double?
        for host in hosts.values where host.inFlight < max(1, host.limits.maxInFlight) {
            var candidates: [Double] = []
            if host.hasReady { candidates.append(host.nextStart) }
            if let d = host.delayed.map(\.notBefore).min() { candidates.append(max(d, host.nextStart)) }
            guard let t = candidates.min(), t > now else { continue }
            earliest = min(earliest ?? t, t)
        }
        return earliest
    }
}
