// What an owner sends a guardian before it acknowledges an order, and what the guardian answers.

/// An owner's copy of some of its buyers' orders, for their guardian: per buyer, every order the owner knows of them
/// (its own and those it inherited), so one accepted message makes the guardian whole for that buyer whatever came
/// before it (a lost message, a guardian new to the buyer after a view change). Sent under the owner's view; the
/// guardian accepts it only under the same view, which is the fence of a takeover (`Custody.receive`).
public struct CustodyMessage: Sendable, Hashable {
    /// One buyer's orders as the owner knows them, at the owner's `version` of that buyer.
    public struct Buyer: Sendable, Hashable {
        public let user: String
        /// Counts the changes the owner made to this buyer's orders: an acceptance of an older copy does not mark a
        /// newer order as guarded.
        public let version: Int64
        public let orders: [Order]

        public init(user: String, version: Int64, orders: [Order]) {
            self.user = user
            self.version = version
            self.orders = orders
        }
    }

    public let sale: String
    /// The view the owner sends under.
    public let view: CustodyView
    public let buyers: [Buyer]

    public init(sale: String, view: CustodyView, buyers: [Buyer]) {
        self.sale = sale
        self.view = view
        self.buyers = buyers
    }
}

/// A guardian's answer to a `CustodyMessage`.
public enum CustodyVerdict: Sendable, Equatable {
    /// Every buyer's orders are now counted by the guardian: the owner may acknowledge them.
    case accepted
    /// Nothing was taken.
    case refused(CustodyRefusal)
}

/// Why a guardian took nothing from a message.
public enum CustodyRefusal: Sendable, Equatable {
    /// The guardian is at a later view (`current`): the sender must catch up, and may have been retired.
    case senderBehind(current: CustodyView)
    /// The guardian has not reached the sender's view yet: ask again once it has its configuration.
    case guardianBehind
    /// Under this view the sender does not own `user`, or this unit does not guard them.
    case notGuardian(user: String)
    /// The message is for a sale this unit does not have.
    case unknownSale
}
