// Where the herd sends each region's buyers, and the sale's terms, from the config-center's configuration.

import FlashSaleAPI
import FlashSaleCore

/// The regions, their endpoints and units, and the sale's terms, as one configuration version states them.
/// Built from `GET /v1/config` with no I/O of its own.
struct ClusterMap: Sendable {
    let terms: SaleTerms
    /// Regions that have at least one unit with a URL, sorted.
    let regions: [String]
    /// URLs buyers of a region are sent to: the region's endpoint when it has one, else its units' URLs (in id
    /// order; a buyer lands on one by number and follows a 421 to its owner, as behind a load balancer).
    let entryURLs: [String: [String]]
    /// Every unit with a URL: where its order log is read.
    let unitURLs: [String: String]
    let regionOfUnit: [String: String]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(config: ClusterConfig, sale: String) throws(Invalid) {
        guard let saleConfig = config.sales.first(where: { $0.terms.id == sale }) else {
            throw Invalid(description: "no sale '\(sale)' at the config-center (sales: \(config.sales.map(\.terms.id).sorted().joined(separator: ", ")))")
        }
        terms = saleConfig.terms
        var unitURLs: [String: String] = [:]
        var regionOfUnit: [String: String] = [:]
        var unitsByRegion: [String: [String]] = [:]
        for unit in config.units.sorted(by: { $0.id < $1.id }) {
            regionOfUnit[unit.id] = unit.region
            guard let url = unit.url, !url.isEmpty else { continue }
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            unitURLs[unit.id] = trimmed
            unitsByRegion[unit.region, default: []].append(trimmed)
        }
        var entryURLs: [String: [String]] = [:]
        for region in config.regions {
            if let endpoint = region.endpoint, !endpoint.isEmpty {
                entryURLs[region.id] = [endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint]
            } else if let urls = unitsByRegion[region.id] {
                entryURLs[region.id] = urls
            }
        }
        guard !entryURLs.isEmpty else { throw Invalid(description: "no region has a unit that registered its URL yet") }
        self.unitURLs = unitURLs
        self.regionOfUnit = regionOfUnit
        self.entryURLs = entryURLs
        regions = entryURLs.keys.sorted()
    }

    /// Where buyer number `index` of `region` first asks.
    func entryURL(region: String, buyerIndex index: Int) -> String? {
        guard let urls = entryURLs[region], !urls.isEmpty else { return nil }
        return urls[index % urls.count]
    }

    /// The split checked against the cluster: every region it names must take buyers.
    func check(_ split: DemandSplit) throws(Invalid) {
        for region in split.regions where entryURLs[region] == nil {
            throw Invalid(description: "region '\(region)' of the split has no endpoint or registered unit (regions: \(regions.joined(separator: ", ")))")
        }
    }
}
