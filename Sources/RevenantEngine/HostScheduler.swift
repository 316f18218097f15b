import Foundation
import RevenantCore

/// Decides which queued job may start now, per host: at most `maxInFlight` at once and at most
/// `requestsPerSecond` starts per second. Each host has its own queue, so a slow or rate-limited
/// host never holds back the others (no head-of-line blocking). A value type: time is an argument,
/// so it is tested without sockets or sleeping. Hosts are named by strings at the edges and
/// held by index inside, so the per-request path does no hashing.
public struct HostScheduler<Job> {
    struct Host {
        var name: String
        var limits: HostLimits
        var ready: [Job] = []
        var head = 0
        /// Jobs that may not start before a time (retries after backoff or Retry-After).
        var delayed: [(notBefore: Double, job: Job)] = []
        var inFlight = 0
        var nextStart = 0.0

        var hasReady: Bool { head < ready.count }
        var interval: Double { limits.requestsPerSecond.map { 1 / $0 } ?? 0 }
        var hasRoom: Bool { inFlight < max(1, limits.maxInFlight) }
    }

    var hosts: [Host] = []
    var indexByName: [String: Int] = [:]
    var cursor = 0
    public private(set) var queued = 0

    public init() {}

    /// Sets a host's limits (call before enqueuing jobs for it); returns its index.
    @discardableResult
    public mutating func configure(host: String, limits: HostLimits) -> Int {
        if let i = indexByName[host] {
            hosts[i].limits = limits
            return i
        }
        indexByName[host] = hosts.count
        hosts.append(Host(name: host, limits: limits))
        return hosts.count - 1
    }

    /// The index of a host, adding it without limits if it is new.
    public mutating func index(of host: String) -> Int {
        indexByName[host] ?? configure(host: host, limits: HostLimits(maxInFlight: .max, requestsPerSecond: nil))
    }

    public mutating func enqueue(_ job: Job, host: String, notBefore: Double? = nil) {
        enqueue(job, hostIndex: index(of: host), notBefore: notBefore)
    }

    public mutating func enqueue(_ job: Job, hostIndex i: Int, notBefore: Double? = nil) {
        if let notBefore {
            hosts[i].delayed.append((notBefore, job))
        } else {
            hosts[i].ready.append(job)
        }
        queued += 1
    }

    /// The next job that may start at `now`, taking hosts in turn; nil if none may start yet.
    public mutating func next(now: Double) -> (job: Job, host: String)? {
        guard let (job, i) = nextIndexed(now: now) else { return nil }
        return (job, hosts[i].name)
    }

    public mutating func nextIndexed(now: Double) -> (job: Job, hostIndex: Int)? {
        guard queued > 0, !hosts.isEmpty else { return nil }
        for step in 0..<hosts.count {
            let i = (cursor + step) % hosts.count
            guard hosts[i].hasRoom, hosts[i].nextStart <= now else { continue }
            let job: Job
            if !hosts[i].delayed.isEmpty, let d = hosts[i].delayed.firstIndex(where: { $0.notBefore <= now }) {
                job = hosts[i].delayed.remove(at: d).job
            } else if hosts[i].hasReady {
                job = hosts[i].ready[hosts[i].head]
                hosts[i].head += 1
                if hosts[i].head > 1024 && hosts[i].head * 2 > hosts[i].ready.count {
                    // A new buffer of what is left: removing in place would keep the whole run's capacity to the end.
                    hosts[i].ready = Array(hosts[i].ready[hosts[i].head...])
                    hosts[i].head = 0
                }
            } else {
                continue
            }
            hosts[i].inFlight += 1
            hosts[i].nextStart = max(hosts[i].nextStart, now) + hosts[i].interval
            queued -= 1
            cursor = (i + 1) % hosts.count
            return (job, i)
        }
        return nil
    }

    /// A job of `host` finished.
    public mutating func complete(host: String) {
        if let i = indexByName[host] { complete(hostIndex: i) }
    }

    public mutating func complete(hostIndex i: Int) {
        hosts[i].inFlight -= 1
    }

    /// The earliest time a waiting job could start if a slot is free then; nil if nothing waits on time.
    public func nextWake(now: Double) -> Double? {
        var earliest: Double?
        for host in hosts where host.hasRoom {
            var candidates: [Double] = []
            if host.hasReady { candidates.append(host.nextStart) }
            if let d = host.delayed.map(\.notBefore).min() { candidates.append(max(d, host.nextStart)) }
            guard let t = candidates.min(), t > now else { continue }
            earliest = min(earliest ?? t, t)
        }
        return earliest
    }
}

/// A scheduler kept between runs of one engine (`watch`'s rounds), so a host's rate limit holds
/// from one round to the next.
public final class SchedulerCarry: @unchecked Sendable {
    // @unchecked: `held` is only touched under `lock`; a run takes it at its start and puts it back at its end.
    private let lock = NSLock()
    private var held: Any?

    public init() {}

    func take<Job>() -> HostScheduler<Job>? {
        lock.withLock {
            defer { held = nil }
            return held as? HostScheduler<Job>
        }
    }

    func put<Job>(_ scheduler: HostScheduler<Job>) { lock.withLock { held = scheduler } }
}
