// Deterministic node keys for tests, and the headers that sign a request with them.

public import Crypto
public import FlashSaleAPI
public import FlashSaleCore
public import Foundation
public import HTTPTypes
import Synchronization

/// Keys of the test units, derived from their ids: a test enrolls and signs as any unit without keeping keys around.
public enum TestKeys {
    public static func key(_ unit: String) -> NodeKey {
        let seed = Data(SHA256.hash(data: Data("test-unit-key:\(unit)".utf8)))
        // 32 bytes are always a valid Ed25519 seed.
        return NodeKey(privateKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    /// Signed requests of one test run get times 1 ms apart, so the config-center's replay guard sees each as new
    /// while the test's clock stands still.
    public static let sequence = Atomic<Int64>(0)

    /// The headers that sign `body` to `uri` as `unit`, at `nowMs` (plus the sequence).
    public static func headers(unit: String, method: HTTPRequest.Method, uri: String, body: Data, nowMs: Int64) -> HTTPFields {
        let time = nowMs + sequence.add(1, ordering: .relaxed).newValue
        var fields = HTTPFields()
        for header in (try? NodeRequestSignature.headers(
            node: unit, key: key(unit), method: method.rawValue, path: uri, timeMs: time, body: body)) ?? []
        {
            if let name = HTTPField.Name(header.name) { fields[name] = header.value }
        }
        return fields
    }

    /// The headers of a gossip message `body` sent by `node`: the cluster secret's signature (`seal`) and `node`'s
    /// own, by its test key.
    public static func gossipHeaders(_ body: Data, from node: String, seal: GossipSeal) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json", GossipSeal.headerName: seal.signature(for: body)]
        fields[GossipSenderSignature.headerName] = try? GossipSenderSignature.sign(body, key: key(node))
        fields[GossipSenderSignature.senderHeaderName] = node
        return fields
    }

    /// `digest` carrying `witness` (the config-center's account of grants between units), signed by the
    /// config-center's test key, or by `signer`'s when given (a forgery).
    public static func witnessing(_ digest: GossipDigest, _ witness: GrantWitness, as signer: String? = nil) -> GossipDigest {
        var witnessed = digest
        witnessed.witness = witness
        witnessed.witnessSignature = try? WitnessSignature.sign(
            witness, sale: digest.sale, key: key(signer ?? NodeID.center.rawValue))
        return witnessed
    }

    /// `digest` with every row signed by its owner's test key (`key(owner)`), or by `signer`'s when given (a forgery).
    public static func signingRows(_ digest: GossipDigest, as signer: String? = nil) -> GossipDigest {
        var signed = digest
        for (owner, row) in digest.rows {
            signed.signatures[owner] = try? RowSignature.sign(row, of: owner, sale: digest.sale, key: key(signer ?? owner.rawValue))
        }
        return signed
    }
}
