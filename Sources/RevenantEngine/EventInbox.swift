import Foundation

/// A many-producer, one-consumer mailbox: producers (the transport thread, timers) append
/// events; the consumer takes everything queued at once and sleeps only when it is empty.
final class EventInbox<Event: Sendable>: @unchecked Sendable {
    // @unchecked: `events` and `waiter` are only touched under `lock`.
    private let lock = NSLock()
    private var events: [Event] = []
    private var waiter: CheckedContinuation<[Event], Never>?

    func yield(_ event: Event) {
        let resume: (CheckedContinuation<[Event], Never>, [Event])? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return (waiter, [event])
            }
            events.append(event)
            return nil
        }
        if let (waiter, batch) = resume { waiter.resume(returning: batch) }
    }

    /// Every event queued so far, waiting for at least one.
    func take() async -> [Event] {
        await withCheckedContinuation { continuation in
            let ready: [Event]? = lock.withLock {
                if events.isEmpty {
                    waiter = continuation
                    return nil
                }
                defer { events.removeAll(keepingCapacity: true) }
                return events
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
