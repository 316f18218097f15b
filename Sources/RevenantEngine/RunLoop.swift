/// The engine's run loop as a value: given the time, it says what to start, when to wake and when
/// the work is done; it is told what finished and what the timer did. No sockets, no clock, no
/// tasks: VerifyEngine.drive does what it says, and tests drive it with made-up times.
public struct RunLoop<Job> {
    public var scheduler: HostScheduler<Job>
    /// At most this many jobs in flight at once, over every host.
    public let cap: Int
    public private(set) var inFlight = 0
    /// When the one pending timer fires, if one is set.
    public private(set) var timerAt: Double?

    public enum Step {
        /// Start this job now (it counts as in flight until `finished`).
        case start(Job, hostIndex: Int)
        /// Set a timer to fire at this time (`ticked` when it does).
        case setTimer(at: Double)
        /// Nothing can wake the loop (jobs wait on a time the scheduler does not report): look again soon.
        case poll
        /// Wait for a job to finish or the timer to fire.
        case wait
        /// Every job is finished.
        case done
    }

    public init(scheduler: HostScheduler<Job>, cap: Int) {
        self.scheduler = scheduler
        self.cap = max(1, cap)
    }

    /// What to do at `now`: every job that may start, then one of setTimer+wait, poll, wait or done.
    public mutating func steps(now: Double) -> [Step] {
        var out: [Step] = []
        while inFlight < cap, let (job, host) = scheduler.nextIndexed(now: now) {
            inFlight += 1
            out.append(.start(job, hostIndex: host))
        }
        if inFlight == 0 && scheduler.queued == 0 { return out + [.done] }
        if let wake = scheduler.nextWake(now: now), timerAt.map({ wake < $0 }) ?? true {
            timerAt = wake
            out.append(.setTimer(at: wake))
        }
        if inFlight == 0 && timerAt == nil { return out + [.poll] }
        return out + [.wait]
    }

    /// A job on host `hostIndex` finished; `retry` goes back in the queue, not before `now + delay`.
    public mutating func finished(hostIndex: Int, retry: (job: Job, delay: Double)?, now: Double) {
        inFlight -= 1
        scheduler.complete(hostIndex: hostIndex)
        if let retry { scheduler.enqueue(retry.job, hostIndex: hostIndex, notBefore: now + retry.delay) }
    }

    /// A timer fired at `now` (a stop also wakes the loop this way).
    public mutating func ticked(now: Double) {
        if let t = timerAt, t <= now + 0.001 { timerAt = nil }
    }
}
