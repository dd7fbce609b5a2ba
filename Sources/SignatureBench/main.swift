// How much the trust checks cost on one core: what a gossip message, a unit's request, a configuration and a
// payment callback pay to be believed. A benchmark (bench/signatures.sh runs it in release), not a test.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation

/// Operations per second of `body`, as the median of `rounds` rounds of `iterations` each, with the spread.
func measure(_ name: String, iterations: Int, rounds: Int = 5, _ body: () throws -> Void) rethrows {
    var rates: [Double] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for _ in 0..<iterations { try body() }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        rates.append(Double(iterations) / seconds)
    }
    rates.sort()
    let median = rates[rates.count / 2]
    print(
        name.padding(toLength: 66, withPad: " ", startingAt: 0)
            + String(format: "%10.0f /s  (%5.1f µs; rounds %.0f-%.0f)", median, 1e6 / median, rates[0], rates[rates.count - 1]))
}

/// A gossip message as a unit sends it in a cluster of `units` units and `sales` sales: every row, each signed by its
/// owner (all with `key` here: the cost is the same), a pulse each.
func envelope(units: Int, sales: Int) throws -> Data {
    let nodes = (0..<units).map { NodeID("eu-west-\($0)") }
    let digests = try (0..<sales).map { sale in
        let id = "sale-\(sale)"
        var rows: [NodeID: LedgerRow] = [:]
        var signatures: [NodeID: String] = [:]
        for (index, node) in nodes.enumerated() {
            rows[node] = LedgerRow(grantedTo: [nodes[(index + 1) % units]: 120], consumed: 480, released: 12)
            signatures[node] = try RowSignature.sign(rows[node] ?? LedgerRow(), of: node, sale: id, key: key)
        }
        return GossipDigest(
            sale: id, from: nodes[0], rows: rows, signatures: signatures,
            pulse: Pulse(node: nodes[0], available: 88, demandPerSecond: 140.5, heartbeatMs: 1_800_000_000_000))
    }
    return try WireJSON.encoder.encode(
        GossipEnvelope(from: nodes[0], sentAtMs: 1_800_000_000_000, nonce: GossipEnvelope.makeNonce(), digests: digests))
}

let key = NodeKey.generate()
let publicKey = key.privateKey.publicKey
let secret = Array("a-cluster-secret-of-32-bytes-len".utf8)
guard let seal = GossipSeal(secret: secret) else { fatalError("the secret is long enough") }

print("flashsale trust checks, one core, release build")
for (units, sales) in [(4, 1), (16, 4)] {
    let body = try envelope(units: units, sales: sales)
    let mac = seal.signature(for: body)
    let signature = try GossipSenderSignature.sign(body, key: key)
    let label = "gossip, \(units) units x \(sales) sale(s), \(body.count) B:"
    measure("\(label) sign (HMAC + Ed25519)", iterations: 2_000) {
        _ = seal.signature(for: body)
        _ = try? GossipSenderSignature.sign(body, key: key)
    }
    measure("\(label) HMAC check", iterations: 20_000) { precondition(seal.verify(mac, body: body)) }
    measure("\(label) Ed25519 check", iterations: 2_000) {
        precondition(GossipSenderSignature.isValid(signature, body: body, publicKey: publicKey))
    }
    let members = Dictionary(uniqueKeysWithValues: (0..<units).map { (NodeID("eu-west-\($0)"), publicKey) })
    var sent = Int64(1_800_000_000_000)
    let gate = GossipGate(seal: seal)
    measure("\(label) sender's side + whole gate", iterations: 1_000) {
        // A new message each time (its own nonce and time, sealed and signed here), so the replay guard admits it as
        // a peer's would; the figure includes the sender's work too.
        sent += 1
        var message = try! WireJSON.decoder.decode(GossipEnvelope.self, from: body)
        message.sentAtMs = sent
        message.nonce = GossipEnvelope.makeNonce()
        let fresh = try! WireJSON.encoder.encode(message)
        let opened = try? gate.open(
            body: fresh, signature: seal.signature(for: fresh),
            senderSignature: try? GossipSenderSignature.sign(fresh, key: key), receiver: "eu-west-99",
            members: members, nowMs: sent)
        precondition(opened?.leftOut.isEmpty == true, "a genuine message passes the gate, every row checked")
    }
}

let row = LedgerRow(grantedTo: ["eu-west-2": 120, "eu-west-3": 40], consumed: 480, released: 12)
let rowSignature = try RowSignature.sign(row, of: "eu-west-1", sale: "sale-0", key: key)
try measure("ledger row: owner's signature (Ed25519)", iterations: 2_000) {
    _ = try RowSignature.sign(row, of: "eu-west-1", sale: "sale-0", key: key)
}
measure("ledger row: signature check", iterations: 2_000) {
    precondition(RowSignature.isValid(rowSignature, row: row, of: "eu-west-1", sale: "sale-0", publicKey: publicKey))
}

let report = Data(repeating: UInt8(ascii: "x"), count: 1_500)
let headers = try NodeRequestSignature.headers(
    node: "eu-west-1", key: key, method: "POST", path: "/v1/units/eu-west-1/report", timeMs: 1_800_000_000_000, body: report)
let requestSignature = headers.first { $0.name == NodeRequestSignature.signatureHeader.rawName }?.value ?? ""
measure("unit request (heartbeat, 1,500 B): signature check", iterations: 2_000) {
    precondition(NodeRequestSignature.isValid(
        signature: requestSignature, publicKey: publicKey, node: "eu-west-1", method: "POST",
        path: "/v1/units/eu-west-1/report", timeMs: 1_800_000_000_000, body: report))
}
let config = Data(repeating: UInt8(ascii: "c"), count: 20_000)
let configSignature = try ConfigSignature.signature(for: config, nonce: "n0nce", key: key)
measure("configuration (20 kB): signature check", iterations: 2_000) {
    precondition(ConfigSignature.isValid(signature: configSignature, body: config, nonce: "n0nce", publicKey: publicKey))
}
let callback = Data(#"{"payment":"pi_3N","amount":129900}"#.utf8)
let path = "/v1/orders/eu-west-1-1800000000000-7/pay"
let paymentSignature = PaymentCallback.signature(secret: "whsec-benchmark", path: path, body: callback, unixSeconds: 1_800_000_000)
measure("payment callback: HMAC check", iterations: 50_000) {
    precondition(PaymentCallback.isValid(
        header: paymentSignature, secret: "whsec-benchmark", path: path, body: callback, nowSeconds: 1_800_000_000))
}
