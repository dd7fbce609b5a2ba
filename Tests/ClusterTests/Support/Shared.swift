// A value shared by the tasks of a herd.

import Synchronization

/// A mutex-protected value that concurrent tasks can capture.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}
