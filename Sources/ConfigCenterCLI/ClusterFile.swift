// The declarative cluster file under config-center/, as an operator writes it in YAML.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import Yams

/// A cluster file: regions, units and sales with their allocation. Times may be absolute (ISO 8601) or relative
/// to when the file is applied ("now", "+10m"); a relative window is applied only when the sale is created.
struct ClusterFile: Decodable {
    struct Sale: Decodable {
        var id: String
        var title: String
        var stock: Int64
        var startsAt: String
        var endsAt: String
        var perUserLimit: Int?
        var admission: AdmissionRules?
        var paymentWindowSeconds: Int?
        var allocation: AllocationSpec?
    }

    var regions: [RegionSpec]?
    var units: [UnitSpec]?
    var sales: [Sale]?

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func load(path: String) throws -> ClusterFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read \(path)") }
        do {
            return try YAMLDecoder().decode(ClusterFile.self, from: data)
        } catch let error as DecodingError {
            throw Invalid(description: "\(path): \(Self.describe(error))")
        } catch {
            throw Invalid(description: "\(path): \(error)")
        }
    }

    /// The request body, with times resolved against `now`.
    func document(now: Date) throws -> ClusterDocument {
        let sales = try (sales ?? []).map { sale in
            let starts = try Self.time(sale.startsAt, now: now, field: "sales.\(sale.id).startsAt")
            let ends = try Self.time(sale.endsAt, now: now, field: "sales.\(sale.id).endsAt")
            return DeclaredSale(
                sale: SaleSpec(
                    id: sale.id, title: sale.title, stock: sale.stock, startsAt: starts, endsAt: ends,
                    perUserLimit: sale.perUserLimit ?? 1, admission: sale.admission,
                    paymentWindowSeconds: sale.paymentWindowSeconds),
                allocation: sale.allocation,
                keepExistingWindow: TimeSpec.isRelative(sale.startsAt) || TimeSpec.isRelative(sale.endsAt))
        }
        return ClusterDocument(regions: regions, units: units, sales: sales)
    }

    private static func time(_ text: String, now: Date, field: String) throws -> Date {
        do {
            return try TimeSpec.parse(text, now: now, option: field)
        } catch {
            throw Invalid(description: "\(field) '\(text)': use ISO 8601, 'now' or '+10m', '+2h', '+30s', '+1d'")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at \(path(context).isEmpty ? "top level" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
