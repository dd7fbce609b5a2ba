// `config-center serve`: the config-center server itself.

import ArgumentParser
import ConfigCenter
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the config-center server.")

    @Option(help: "Address to listen on, host:port.")
    var listen: String = "127.0.0.1:7000"

    @Option(help: "Data directory (its SQLite database lives here).")
    var data: String

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), colon != listen.startIndex,
            let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port)
        else { throw ValidationError("--listen must be host:port, e.g. 127.0.0.1:7000") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let settings = CenterSettings(host: String(listen[..<colon]), port: port, dataDirectory: data)
        try await CenterServer.run(settings: settings, logger: Logger(label: "config-center"))
    }
}
