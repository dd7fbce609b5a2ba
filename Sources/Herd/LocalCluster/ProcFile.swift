// Reading /proc: its files report a size of 0, so they are read to their end, not to their stated size.

import Foundation

enum ProcFile {
    /// The whole of a /proc file (or any file), or nil when it cannot be opened.
    static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
