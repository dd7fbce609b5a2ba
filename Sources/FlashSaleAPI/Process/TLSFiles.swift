// TLS settings read from PEM files: the certificate a server presents, and the authorities its clients trust.

public import Foundation
public import NIOSSL

/// What every link's TLS is made of. Servers (`config-center serve`, `flashsale-unit`) present a certificate chain
/// and its private key (`--tls-cert`, `--tls-key`); every client of them (units following the config-center and
/// gossiping, the CLI, `herd`) trusts the authorities in a CA file (`--ca-file`), or the system's when none is given.
/// TLS 1.2 is the least either side accepts.
public enum TLSFiles {
    /// Why a certificate, key or CA file cannot be used; says which file and what to do.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A server's TLS: the chain in `certificate` (PEM, the server's own certificate first, then any intermediates)
    /// and the private key in `key` (PEM), which must be readable by its owner only, as `SecretFile` asks of every
    /// secret. Checked here, at start, so a wrong file stops the process with a clear message instead of failing
    /// each handshake.
    public static func server(certificate: String, key: String) throws(Failure) -> TLSConfiguration {
        do {
            try SecretFile.requireOwnerOnly(key, what: "TLS private key")
        } catch {
            throw Failure(description: error.description)
        }
        let chain = try certificates(in: certificate, what: "TLS certificate")
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw Failure(description: "cannot read the TLS private key \(key) as PEM: \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw Failure(description: "the TLS certificate \(certificate) and key \(key) do not make a server context (is the key the certificate's?): \(error)")
        }
        return configuration
    }

    /// A client's TLS: it trusts the authorities in `caFile` (PEM, one or more certificates) and nothing else, or
    /// the system's trust store when `caFile` is nil. Host names are checked against the certificates as usual.
    public static func client(caFile: String?) throws(Failure) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try certificates(in: caFile, what: "CA file"))
        }
        return configuration
    }

    private static func certificates(in path: String, what: String) throws(Failure) -> [NIOSSLCertificate] {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw Failure(description: "cannot read the \(what) \(path) as PEM certificates: \(error)")
        }
        guard !chain.isEmpty else { throw Failure(description: "the \(what) \(path) holds no PEM certificate") }
        return chain
    }
}
