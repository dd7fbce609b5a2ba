// Where both executables take the cluster secret from.

public import Foundation

public enum ClusterSecret {
    /// The secret in `file` (trimmed) when one is given, else `FLASHSALE_CLUSTER_SECRET`, else nil. Throws a
    /// message for the command line when the file cannot be read.
    public static func read(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let file else { return environment["FLASHSALE_CLUSTER_SECRET"] }
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw Unreadable(description: "cannot read --cluster-secret-file \(file)")
        }
        return String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }
}
