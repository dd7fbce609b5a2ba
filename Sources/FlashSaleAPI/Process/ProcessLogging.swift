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

    /// `logger` with `fixed` on every line it writes, through its handler's metadata provider, so that a server
    /// run in a test process (several units, one logging system) still says which unit wrote each line. A
    /// provider is asked only when a line is written: metadata set on the logger itself would be copied for every
    /// HTTP request. A handler without provider support gets `fixed` as plain metadata instead.
    public static func tagged(_ logger: Logger, _ fixed: Logger.Metadata) -> Logger {
        var tagged = logger
        let own = Logger.MetadataProvider { fixed }
        tagged.handler.metadataProvider = Logger.MetadataProvider.multiplex(
            [logger.handler.metadataProvider, own].compactMap { $0 })
        if tagged.handler.metadataProvider == nil {
            for (key, value) in fixed { tagged[metadataKey: key] = value }
        }
        return tagged
    }
}
