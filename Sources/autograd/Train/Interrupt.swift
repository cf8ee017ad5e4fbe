import Foundation
import Synchronization

/// Ctrl-C handling for training: the first SIGINT asks the loop to stop after the current batch
/// (it then saves a checkpoint and exits normally); a second one exits at once.
enum Interrupt {
    private static let requested = Atomic<Bool>(false)

    /// Whether a stop has been requested.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Asks the loop to stop, as a first Ctrl-C does.
    static func request() { requested.store(true, ordering: .relaxed) }

    /// Installs the handler (and forgets any earlier request).
    static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
            let message = "\ninterrupt: stopping after this batch (Ctrl-C again to quit at once)\n"
            message.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
        }
    }
}
