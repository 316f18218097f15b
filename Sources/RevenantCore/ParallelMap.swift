import Foundation

/// `map` over an array on the machine's cores, results in the order of the input: for work that is
/// independent per element (decoding files, judging certificates).
public enum ParallelMap {
    /// `transform` runs on up to `activeProcessorCount` threads (the caller's among them), each taking
    /// every n-th element, so slow and fast elements spread evenly; fewer than `minimumPerWorker`
    /// elements per thread are not worth a thread. `transform` must be safe to run on several
    /// threads at once: it reads what it captures and writes only what it returns. Memory: the
    /// results, nothing more. Inlinable so that each caller gets it for its own types: generic, every
    /// element and result would be copied and destroyed through value witnesses.
    @inlinable
    public static func map<Element, Result>(_ items: [Element], minimumPerWorker: Int = 64,
                                            _ transform: (Element) -> Result) -> [Result] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / max(1, minimumPerWorker)))
        if workers == 1 { return items.map(transform) }
        return withoutActuallyEscaping(transform) { transform in
            let job = Job(items: items, transform: transform)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < job.items.count {
                    job.run(i)
                    i += workers
                }
            }
            return job.takeResults()
        }
    }

    /// Drops `items` on every core: freeing many objects (10,000 OpenSSL certificates) costs about what
    /// making them did, and at the end of a run it would be one thread's work. An element still
    /// referenced elsewhere only loses this reference.
    public static func discard<Element>(_ items: consuming [Element], minimumPerWorker: Int = 64) {
        let count = items.count
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / max(1, minimumPerWorker)))
        guard workers > 1 else { return }
        let held = Held(consume items)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            held.release(count * worker / workers..<count * (worker + 1) / workers)
        }
    }

    /// References to the elements of an array, each range released by one worker.
    final class Held<Element>: @unchecked Sendable {
        // @unchecked: each worker deinitializes its own range of slots, ranges do not overlap, and
        // the buffer is freed in deinit, after concurrentPerform returned.
        private let storage: UnsafeMutableBufferPointer<Element>

        /// Takes `items`: when they were the array's last reference, its elements are held only here.
        init(_ items: consuming [Element]) {
            storage = .allocate(capacity: items.count)
            _ = storage.initialize(fromContentsOf: items)
            _ = consume items
        }

        func release(_ range: Range<Int>) { storage.extracting(range).deinitialize() }

        deinit { storage.deallocate() }
    }

    /// The elements, the transform and one result slot per element, shared by the workers.
    @usableFromInline
    final class Job<Element, Result>: @unchecked Sendable {
        // @unchecked: `items` is only read; `transform` is safe on several threads by `map`'s contract;
        // each slot of `storage` is written once, by one worker, through a buffer allocated once (no
        // copy-on-write, no exclusivity check), and read only after concurrentPerform returned, which
        // orders those writes before the read. The job does not outlive `map`.
        @usableFromInline let items: [Element]
        @usableFromInline let transform: (Element) -> Result
        @usableFromInline let storage: UnsafeMutableBufferPointer<Result?>

        @inlinable
        init(items: [Element], transform: @escaping (Element) -> Result) {
            self.items = items
            self.transform = transform
            storage = .allocate(capacity: items.count)
            storage.initialize(repeating: nil)
        }

        deinit {
            storage.deinitialize()
            storage.deallocate()
        }

        @inlinable
        func run(_ i: Int) { storage[i] = transform(items[i]) }

        /// The results, moved out of their slots (a copy would retain every reference a result
        /// holds, and the slots' release in deinit undo it).
        @inlinable
        func takeResults() -> [Result] { storage.indices.map { storage[$0].take()! } }
    }
}
