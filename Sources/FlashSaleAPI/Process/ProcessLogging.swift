// One log format for every process of the cluster.

public import Logging

public enum ProcessLogging {
    /// Logs to standard error at `level`, once per process, before any logger is made. `fixed` (the unit and
    /// region, say) goes on every line through a metadata provider, which is asked only when a line is written:
    /// metadata set on the logger itself would be copied for every HTTP request.
    public static func bootstrap(level: Logger.Level = .info, fixed: Logger.Metadata = [:]) {
        let provider = Logger.MetadataProvider { fixed }
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                handler.logLevel = level
                return handler
            }, metadataProvider: provider)
    }
}
