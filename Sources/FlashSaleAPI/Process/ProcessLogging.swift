// One log format for every process of the cluster.

public import Logging

public enum ProcessLogging {
    /// Logs to standard error at `level`, once per process, before any logger is made.
    public static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
