// A thread of the process's own (the group-commit writer, the WAL checkpointer), named for `top -H` and profiles.

import Foundation

public enum NamedThread {
    /// Runs `body` on a new thread called `name`. The name is given once the thread has started: on Linux,
    /// Foundation drops a name given before `start`, and one the thread gives itself through `Thread.current` is lost
    /// if it runs before `start` has returned.
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.start()
        thread.name = name
    }
}
