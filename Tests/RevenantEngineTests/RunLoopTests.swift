import RevenantCore
import RevenantEngine
import Testing

/// The run loop as a value: what starts when, with made-up times, no sockets and no waiting.
@Suite struct RunLoopTests {
    static func loop(cap: Int, limits: HostLimits, jobs: Int) -> RunLoop<Int> {
        var scheduler = HostScheduler<Int>()
        let host = scheduler.configure(host: "api.test", limits: limits)
        for j in 0..<jobs { scheduler.enqueue(j, hostIndex: host) }
        return RunLoop(scheduler: scheduler, cap: cap)
    }

    static func started(_ steps: [RunLoop<Int>.Step]) -> [Int] {
        steps.compactMap { if case .start(let job, _) = $0 { job } else { nil } }
    }

    @Test func theCapAndTheHostLimitBoundWhatStarts() {
        var loop = Self.loop(cap: 2, limits: HostLimits(maxInFlight: 8, requestsPerSecond: nil), jobs: 5)
        let first = loop.steps(now: 0)
        #expect(Self.started(first) == [0, 1])
        guard case .wait = first.last! else { Issue.record("\(first)"); return }
        loop.finished(hostIndex: 0, retry: nil, now: 0.1)
        #expect(Self.started(loop.steps(now: 0.1)) == [2])
        var perHost = Self.loop(cap: 64, limits: HostLimits(maxInFlight: 1, requestsPerSecond: nil), jobs: 3)
        #expect(Self.started(perHost.steps(now: 0)) == [0])
    }

    @Test func aRateLimitSetsATimerAndTheTickStartsTheNext() {
        var loop = Self.loop(cap: 8, limits: HostLimits(maxInFlight: 8, requestsPerSecond: 2), jobs: 2)
        let first = loop.steps(now: 0)
        #expect(Self.started(first) == [0])
        #expect(first.contains { if case .setTimer(let at) = $0 { at == 0.5 } else { false } }, "\(first)")
        #expect(loop.timerAt == 0.5)
        // Too early: nothing new starts, and no second timer is set for the same time.
        let early = loop.steps(now: 0.2)
        #expect(Self.started(early).isEmpty && !early.contains { if case .setTimer = $0 { true } else { false } })
        loop.ticked(now: 0.5)
        #expect(loop.timerAt == nil)
        #expect(Self.started(loop.steps(now: 0.5)) == [1])
    }

    @Test func aRetryWaitsItsDelayAndTheLoopEndsWhenAllIsDone() {
        var loop = Self.loop(cap: 4, limits: HostLimits(maxInFlight: 4, requestsPerSecond: nil), jobs: 1)
        #expect(Self.started(loop.steps(now: 0)) == [0])
        loop.finished(hostIndex: 0, retry: (job: 0, delay: 2), now: 1)
        let waiting = loop.steps(now: 1)
        #expect(Self.started(waiting).isEmpty)
        #expect(waiting.contains { if case .setTimer(let at) = $0 { at == 3 } else { false } }, "\(waiting)")
        loop.ticked(now: 3)
        #expect(Self.started(loop.steps(now: 3)) == [0])
        loop.finished(hostIndex: 0, retry: nil, now: 3.2)
        let end = loop.steps(now: 3.2)
        guard case .done = end.last! else { Issue.record("\(end)"); return }
        #expect(loop.inFlight == 0)
    }
}
