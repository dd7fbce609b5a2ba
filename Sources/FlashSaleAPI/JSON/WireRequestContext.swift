// A request context whose JSON coding follows WireJSON, used by both servers.

public import Hummingbird
import Foundation

/// The request context of the unit and config-center routers: request bodies and responses use `WireJSON`.
public struct WireRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { WireJSON.decoder }
    public var responseEncoder: JSONEncoder { WireJSON.encoder }
}
