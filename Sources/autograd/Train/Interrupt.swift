import Foundation
import Synchronization

/// Ctrl-C handling for training: the first SIGINT asks the loop to stop after the current batch
/// (it then saves a checkpoint and exits normally); a second one exits at once.
enum Interrupt {
    private static let requested = Atomic<Bool>(false)

    /// Whether a stop has been requested.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Installs the handler.
    static func install() {
        signal(SIGINT) { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
            let message = "\ninterrupt: stopping after this batch (Ctrl-C again to quit at once)\n"
            message.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
        }
    }
}
