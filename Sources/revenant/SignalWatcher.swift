import Foundation
import RevenantEngine

/// SIGINT, SIGTERM and SIGHUP stop a `verify` run; its partial report is still written (exit 3).
/// Watched from the start of `main`, so a signal while the inventory is still being read gets that
/// report too. (Before `main`, while the dynamic loader works, about 25 ms here, a signal has its
/// default effect: the process ends with no report, and an earlier report file is left whole.) A
/// second signal ends the process at once (a report file is then absent, never half-written). Other commands keep the signals' usual meaning: they end at once.
enum Interrupts {
    /// What a `verify` run checks.
    static let stop = StopFlag()
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// `runStops`: the command is `verify`, whose run turns a signal into a partial report.
    static func install(runStops: Bool) {
        guard runStops else { return }
        // Held back while the watch is set up (ignored first, then libdispatch's own handler): a
        // signal in between stays pending and reaches the source, instead of being lost.
        var held = sigset_t()
        sigemptyset(&held)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&held, sig) }
        sigprocmask(SIG_BLOCK, &held, nil)
        defer { sigprocmask(SIG_UNBLOCK, &held, nil) }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // Ignored first: libdispatch then installs its own handler, which feeds the source.
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                stop.stop(sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)" : "hung up (SIGHUP)")
                // A second signal ends the process at once, for whoever cannot wait for the partial report.
                signal(sig, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }
}
