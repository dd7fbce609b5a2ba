// The buyer's page at each regional endpoint: HTML, script, style sheet and proof-of-work worker, compiled into the
// binary so an installed unit serves them.

import FlashSaleAPI
import Hummingbird

/// `GET /` (the unit's sales), `GET /sales/{sale}` (one sale: countdown, stock, buy button) and
/// `GET /buyer/{asset}`. The page is the same for every sale; its script reads the sale from the path and talks
/// only to this unit's API, so the strict policy of `BrowserAsset` holds (no inline script, workers from here).
enum BuyerPageRoutes {
    static let page = BrowserAsset.html(PackageResources.buyer_html)
    static let assets: [String: BrowserAsset] = [
        "buyer.js": .javaScript(PackageResources.buyer_js),
        "buyer-worker.js": .javaScript(PackageResources.buyer_worker_js),
        "buyer.css": .css(PackageResources.buyer_css),
    ]

    static func add(to router: Router<WireRequestContext>) {
        router.get("/") { _, _ in page.response }
        router.get("/sales/{sale}") { _, _ in page.response }
        router.get("/buyer/{asset}") { _, context in
            let name = context.parameters.get("asset") ?? ""
            guard let asset = assets[name] else { throw Problem(.notFound, "no file '\(name)' for the buyer's page") }
            return asset.response
        }
    }
}
