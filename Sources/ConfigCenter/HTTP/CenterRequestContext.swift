// The config-center's request context: WireJSON coding, and the operator a credential proved, if any.

import FlashSaleAPI
import Foundation
public import Hummingbird
public import HummingbirdAuth
public import NIOCore

/// Like `WireRequestContext`, plus the operator `OperatorAuthenticator` found for the request's bearer
/// credential. Routes read it through hummingbird-auth's policies, never directly.
public struct CenterRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Operator?
    /// The TCP peer: gossip is limited per client address before its body is read.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: JSONDecoder { WireJSON.decoder }
    public var responseEncoder: JSONEncoder { WireJSON.encoder }
}
