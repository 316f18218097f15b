import RevenantCore
import RevenantEngine
import Testing

/// The per-host scheduler is a value type with time as an argument: no sockets, no sleeping.
@Suite struct HostSchedulerTests {
    /// Takes every job that may start at `now`, in order.
    static func drain(_ s: inout HostScheduler<String>, now: Double) -> [String] {
        var out: [String] = []
        while let (job, _) = s.next(now: now) { out.append(job) }
        return out
    }

    @Test func maxInFlightCapsStartsUntilAJobCompletes() {
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 2, requestsPerSecond: nil))
        for i in 1...5 { s.enqueue("a\(i)", host: "a:443") }

        #expect(Self.drain(&s, now: 0) == ["a1", "a2"])
        #expect(s.queued == 3)
        s.complete(host: "a:443")
        #expect(Self.drain(&s, now: 0) == ["a3"])
        s.complete(host: "a:443")
        s.complete(host: "a:443")
        #expect(Self.drain(&s, now: 0) == ["a4", "a5"])
        #expect(s.queued == 0)
        #expect(s.next(now: 100) == nil)
    }

    @Test func maxInFlightBelowOneStillLetsOneJobRun() {
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 0, requestsPerSecond: nil))
        s.enqueue("a1", host: "a:443")
        s.enqueue("a2", host: "a:443")
        #expect(Self.drain(&s, now: 0) == ["a1"])
    }

    @Test func requestsPerSecondSpacesStarts() {
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 100, requestsPerSecond: 2))
        for i in 1...3 { s.enqueue("a\(i)", host: "a:443") }

        #expect(Self.drain(&s, now: 0) == ["a1"])
        #expect(s.nextWake(now: 0) == 0.5)
        #expect(Self.drain(&s, now: 0.49) == [])
        #expect(Self.drain(&s, now: 0.5) == ["a2"])
        #expect(s.nextWake(now: 0.5) == 1.0)
        #expect(Self.drain(&s, now: 1.0) == ["a3"])
        #expect(s.nextWake(now: 1.0) == nil)
    }

    @Test func idleHostDoesNotBankStartsForABurst() {
        // After a long pause the spacing restarts from `now`, not from the last start.
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 100, requestsPerSecond: 1))
        s.enqueue("a1", host: "a:443")
        #expect(Self.drain(&s, now: 0) == ["a1"])
        for i in 2...4 { s.enqueue("a\(i)", host: "a:443") }
        #expect(Self.drain(&s, now: 50) == ["a2"])
        #expect(s.nextWake(now: 50) == 51)
    }

    @Test func rateLimitedHostDoesNotBlockAnotherHost() {
        var s = HostScheduler<String>()
        s.configure(host: "slow:443", limits: HostLimits(maxInFlight: 1, requestsPerSecond: 0.1))
        s.configure(host: "fast:443", limits: HostLimits(maxInFlight: 8, requestsPerSecond: nil))
        // The slow host's jobs are queued first: a single FIFO would make the fast ones wait.
        for i in 1...3 { s.enqueue("slow\(i)", host: "slow:443") }
        for i in 1...3 { s.enqueue("fast\(i)", host: "fast:443") }

        let started = Self.drain(&s, now: 0)
        #expect(started.filter { $0.hasPrefix("slow") } == ["slow1"])
        #expect(started.filter { $0.hasPrefix("fast") } == ["fast1", "fast2", "fast3"])
        #expect(s.queued == 2)
    }

    @Test func fullHostDoesNotBlockAnotherHost() {
        var s = HostScheduler<String>()
        s.configure(host: "busy:443", limits: HostLimits(maxInFlight: 1, requestsPerSecond: nil))
        s.enqueue("busy1", host: "busy:443")
        s.enqueue("busy2", host: "busy:443")
        #expect(s.next(now: 0)?.job == "busy1")
        // busy1 never completes (a hung host); the other host's later jobs still start.
        s.enqueue("other1", host: "other:443")
        s.enqueue("other2", host: "other:443")
        #expect(Self.drain(&s, now: 1) == ["other1", "other2"])
        #expect(s.nextWake(now: 1) == nil, "a host at max_in_flight waits for a completion, not for time")
    }

    @Test func hostsAreServedInTurn() {
        var s = HostScheduler<String>()
        for h in ["a", "b", "c"] {
            for i in 1...2 { s.enqueue("\(h)\(i)", host: "\(h):443") }
        }
        #expect(Self.drain(&s, now: 0) == ["a1", "b1", "c1", "a2", "b2", "c2"])
    }

    /// A long queue is cut down to what is left as it drains (a new, smaller buffer): every job
    /// still comes out once and in order, also those queued while it drains.
    @Test func longQueueDrainsInOrderAcrossCompaction() {
        var s = HostScheduler<String>()
        for i in 0..<5_000 { s.enqueue("j\(i)", host: "x:80") }
        var out: [String] = []
        for _ in 0..<3_000 { if let (job, _) = s.next(now: 0) { out.append(job) } }
        for i in 5_000..<6_000 { s.enqueue("j\(i)", host: "x:80") }
        out += Self.drain(&s, now: 0)
        #expect(out == (0..<6_000).map { "j\($0)" })
        #expect(s.queued == 0)
    }

    @Test func unconfiguredHostHasNoLimits() {
        var s = HostScheduler<String>()
        for i in 1...50 { s.enqueue("j\(i)", host: "x:80") }
        #expect(Self.drain(&s, now: 0).count == 50)
        #expect(s.queued == 0)
    }

    @Test func delayedRetryWaitsForNotBefore() {
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 4, requestsPerSecond: nil))
        s.enqueue("retry", host: "a:443", notBefore: 3)
        #expect(s.queued == 1)
        #expect(s.next(now: 0) == nil)
        #expect(s.next(now: 2.99) == nil)
        #expect(s.nextWake(now: 0) == 3)
        let started = s.next(now: 3)
        #expect(started?.job == "retry")
        #expect(started?.host == "a:443")
        #expect(s.queued == 0)
        #expect(s.nextWake(now: 3) == nil)
    }

    @Test func delayedRetryDoesNotHoldBackReadyJobs() {
        var s = HostScheduler<String>()
        s.enqueue("retry", host: "a:443", notBefore: 10)
        s.enqueue("fresh", host: "a:443")
        #expect(Self.drain(&s, now: 0) == ["fresh"])
        #expect(s.nextWake(now: 0) == 10)
        #expect(Self.drain(&s, now: 10) == ["retry"])
    }

    @Test func dueRetryIsStillSubjectToRequestsPerSecond() {
        var s = HostScheduler<String>()
        s.configure(host: "a:443", limits: HostLimits(maxInFlight: 4, requestsPerSecond: 1))
        s.enqueue("first", host: "a:443")
        #expect(s.next(now: 0)?.job == "first")
        s.enqueue("retry", host: "a:443", notBefore: 0.2)
        #expect(s.next(now: 0.5) == nil, "the host may start again only at 1.0")
        #expect(s.nextWake(now: 0.5) == 1.0)
        #expect(s.next(now: 1.0)?.job == "retry")
    }

    @Test func nextWakeIsTheEarliestAcrossHosts() {
        var s = HostScheduler<String>()
        s.enqueue("late", host: "a:443", notBefore: 7)
        s.enqueue("early", host: "b:443", notBefore: 4)
        s.enqueue("latest", host: "c:443", notBefore: 9)
        #expect(s.nextWake(now: 0) == 4)
        #expect(s.next(now: 4)?.job == "early")
        #expect(s.nextWake(now: 4) == 7)
    }

    @Test func nextWakeIsNilWhenNothingWaitsOnTime() {
        var s = HostScheduler<String>()
        #expect(s.nextWake(now: 0) == nil)
        s.enqueue("now", host: "a:443")
        #expect(s.nextWake(now: 0) == nil, "a job that may start now is not a wake-up in the future")
    }
}
