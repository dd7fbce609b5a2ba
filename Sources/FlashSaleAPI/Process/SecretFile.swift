// Files that hold keys and credentials: written readable by their owner only, refused when others can read them.

public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a process keeps a secret on disk. A secret file is created with mode 0600 before a byte is written
/// (never chmod-ed afterwards, which leaves a window), replaced atomically, and refused on read when its group or
/// others may read it, as ssh does with private keys: a secret others could read is no longer a secret.
public enum SecretFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `contents` to `path` with mode 0600, replacing any file there only once the new one is complete.
    public static func write(_ contents: String, to path: String) throws {
        try write(Data(contents.utf8), to: path)
    }

    public static func write(_ contents: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        // A leftover of an earlier attempt is removed: O_EXCL makes sure the file written is a new one with mode
        // 0600 (an existing file would keep its own mode), and O_NOFOLLOW that it is no link planted elsewhere.
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let written = contents.withUnsafeBytes { buffer in
            buffer.isEmpty ? 0 : Glibc.write(fd, buffer.baseAddress, buffer.count)
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == contents.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        // The rename is durable only once the folder is synced.
        let folder = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Throws unless `path` exists and only its owner may read it (no bit for group or others).
    public static func requireOwnerOnly(_ path: String, what: String) throws(Failure) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(description: "cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(what) \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
        }
    }

    /// The contents of `path`, trimmed of surrounding white space; refused when the file is missing, empty or
    /// readable by anyone but its owner.
    public static func read(_ path: String, what: String) throws -> String {
        try requireOwnerOnly(path, what: what)
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(what) \(path)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw Failure(description: "\(what) \(path) is empty") }
        return text
    }
}
