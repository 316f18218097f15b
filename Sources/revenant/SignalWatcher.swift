import Foundation
import RevenantEngine

/// SIGINT/SIGTERM stop the run; the partial report is still written (exit 3).
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: the sources are created once and only cancelled afterwards.
    private var sources: [DispatchSourceSignal] = []

    init(stop: StopFlag) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                stop.stop(sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)")
                // A second signal ends the process at once, for whoever cannot wait for the partial report.
                signal(sig, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
    }
}
