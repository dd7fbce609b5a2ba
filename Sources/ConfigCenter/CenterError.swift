// Every refusal of the config-center API, mapped to problem+json in one place.

public import FlashSaleAPI
import FlashSaleCore

/// Why the config-center refused a request. Nothing was changed.
public enum CenterError: ProblemConvertible, Equatable {
    case invalidInput(String)
    case unknownRegion(String)
    case unknownUnit(String)
    case unknownSale(String)
    case unknownOperator(String)
    case alreadyExists(String)
    case conflict(String)
    case allocation(AllocationError)

    public var problem: Problem {
        switch self {
        case .invalidInput(let detail): Problem(.invalidInput, detail)
        case .unknownRegion(let id): Problem(.unknownRegion, "region '\(id)' does not exist")
        case .unknownUnit(let id): Problem(.unknownUnit, "unit '\(id)' does not exist")
        case .unknownSale(let id): Problem(.unknownSale, "sale '\(id)' does not exist")
        case .unknownOperator(let name): Problem(.notFound, "operator '\(name)' does not exist")
        case .alreadyExists(let detail): Problem(.alreadyExists, detail)
        case .conflict(let detail): Problem(.conflict, detail)
        case .allocation(let error): Self.problem(for: error)
        }
    }

    private static func problem(for error: AllocationError) -> Problem {
        switch error {
        case .empty: Problem(.invalidAllocation, "name at least one region")
        case .unknownRegion(let region): Problem(.unknownRegion, "region '\(region)' does not exist")
        case .regionWithoutUnits(let region): Problem(.regionWithoutUnits, "region '\(region)' has no units")
        case .negativeAmount(let region): Problem(.invalidAllocation, "the amount for region '\(region)' is negative")
        case .invalidAmount(let region):
            Problem(.invalidAllocation, "the amount for region '\(region)' is out of range (a count up to the stock, or 0-100%)")
        case .percentagesOutOfRange(let total):
            Problem(.invalidAllocation, "percentages must add up to between 1 and 100, not \(total)")
        case .exceedsStock(let requested, let available):
            Problem(.allocationExceedsStock, "asked for \(requested), the config-center holds \(available) of this sale")
        case .belowCurrent(let region, let current, let target):
            Problem(.conflict, "region '\(region)' already holds \(current), more than the \(target) declared; rights are never taken back")
        }
    }
}
