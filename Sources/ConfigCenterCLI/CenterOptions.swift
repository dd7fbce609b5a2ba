// The options every client subcommand shares, and the mapping of failures to exit codes.

import ArgumentParser
import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import Foundation
import NIOSSL

/// Exit codes scripts can rely on (sysexits.h where one fits).
enum ExitCodes {
    static let refused = ExitCode(1)
    static let badFile = ExitCode(65)
    static let unreachable = ExitCode(69)
    static let unexpected = ExitCode(70)
}

struct CenterOptions: ParsableArguments {
    @Option(help: "Config-center URL (or FLASHSALE_CENTER).")
    var center: String = ProcessInfo.processInfo.environment["FLASHSALE_CENTER"] ?? "https://127.0.0.1:7000"

    @Option(help: ArgumentHelp(
        "File holding an operator credential (or FLASHSALE_CREDENTIAL_FILE; FLASHSALE_CREDENTIAL holds the credential itself).",
        discussion: "A new config-center writes the first admin's to <data>/admin.credential."))
    var credentialFile: String?

    @Flag(help: "Print the config-center's answer as JSON.")
    var json = false

    @OptionGroup(title: "TLS")
    var tls: ClientTLSOptions

    /// The credential from --credential-file, else FLASHSALE_CREDENTIAL, else none (public routes only).
    func credential() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let credentialFile = credentialFile ?? environment["FLASHSALE_CREDENTIAL_FILE"] {
            do {
                return try SecretFile.read(credentialFile, what: "credential file")
            } catch {
                printError("\(error)")
                throw ExitCodes.badFile
            }
        }
        return environment["FLASHSALE_CREDENTIAL"]
    }

    /// Runs `call` against the config-center; failures are printed to stderr and become exit codes.
    func call<T: Encodable>(_ call: (ConfigCenterClient) async throws(ConfigCenterClientError) -> T) async throws -> T {
        let credential = try credential()
        let clientTLS: TLSConfiguration
        do {
            clientTLS = try tls.clientTLS()
        } catch {
            printError("\(error)")
            throw ExitCodes.badFile
        }
        let http = ConfigCenterClient.makeHTTPClient(tls: clientTLS)
        let result: Result<T, ConfigCenterClientError>
        do {
            result = .success(try await call(ConfigCenterClient(baseURL: center, httpClient: http, credential: credential)))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        switch result {
        case .success(let value):
            return value
        case .failure(.refused(let problem)):
            printError("\(problem.code.rawValue): \(problem.detail ?? problem.title)")
            if problem.code == .unauthorized {
                printError("give an operator credential: --credential-file FILE or FLASHSALE_CREDENTIAL_FILE")
            }
            throw ExitCodes.refused
        case .failure(.unreachable(let detail)):
            printError("config-center unreachable: \(detail)")
            throw ExitCodes.unreachable
        case .failure(.unexpected(let detail)):
            printError("unexpected answer from the config-center: \(detail)")
            throw ExitCodes.unexpected
        }
    }

    /// Prints `value` as JSON when --json is given, else `text()`.
    func show<T: Encodable>(_ value: T, _ text: () -> String) throws {
        if json {
            print(String(decoding: try WireJSON.encoder.encode(value), as: UTF8.self))
        } else {
            print(text())
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
