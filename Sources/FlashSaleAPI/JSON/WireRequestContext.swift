// A request context whose JSON coding follows WireJSON, used by both servers.

public import Hummingbird
public import NIOCore
import Foundation

/// The request context of the unit and config-center routers: request bodies and responses use `WireJSON`.
/// It keeps the client's address for the per-address rate limit.
public struct WireRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: JSONDecoder { WireJSON.decoder }
    public var responseEncoder: JSONEncoder { WireJSON.encoder }
}
