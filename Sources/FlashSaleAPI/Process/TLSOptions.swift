// The command-line flags of TLS: a server's certificate and key (or plain HTTP, said out loud), a client's CA file.

public import ArgumentParser
import Foundation
public import NIOSSL

/// `--tls-cert`, `--tls-key`, `--plain-http`: how `config-center serve` and `flashsale-unit` listen. A server serves
/// HTTPS with a certificate and key; plain HTTP only when asked by name, because buyer tokens, operator credentials,
/// gossip and the configuration (token keys, grants) would otherwise travel in clear by accident.
public struct ServerTLSOptions: ParsableArguments {
    public init() {}

    @Option(help: "PEM file of the certificate chain this server presents (its own certificate first). With --tls-key: HTTPS.")
    public var tlsCert: String?

    @Option(help: "PEM file of the private key of --tls-cert, readable by its owner only.")
    public var tlsKey: String?

    @Flag(help: "Serve plain HTTP, without TLS: tokens, credentials and gossip travel in clear. Only where nobody else can listen (loopback tests, benchmarks).")
    public var plainHttp = false

    /// The server's TLS, or nil for plain HTTP when --plain-http says so; a validation error otherwise.
    public func serverTLS() throws -> TLSConfiguration? {
        switch (tlsCert, tlsKey, plainHttp) {
        case (nil, nil, true):
            return nil
        case (let cert?, let key?, false):
            do {
                return try TLSFiles.server(certificate: cert, key: key)
            } catch {
                throw ValidationError(error.description)
            }
        case (_, _, true):
            throw ValidationError("--plain-http and --tls-cert/--tls-key exclude each other")
        case (nil, nil, false):
            throw ValidationError("give --tls-cert and --tls-key to serve HTTPS, or --plain-http to serve plain HTTP")
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
    }
}

/// `--ca-file` (or FLASHSALE_CA_FILE): the authorities a client trusts when it calls an `https://` URL: the
/// config-center's and units' certificates are checked against them. Without one, the system's trust store.
public struct ClientTLSOptions: ParsableArguments {
    public init() {}

    @Option(help: "PEM file of the certificate authorities to trust for https:// URLs (or FLASHSALE_CA_FILE; default: the system's).")
    public var caFile: String?

    /// The client's TLS (always made: a plain `http://` URL does not use it).
    public func clientTLS() throws -> TLSConfiguration {
        do {
            return try TLSFiles.client(caFile: caFile ?? ProcessInfo.processInfo.environment["FLASHSALE_CA_FILE"])
        } catch {
            throw ValidationError(error.description)
        }
    }
}
