// Lets each process keep its own error enum and still answer with the one problem+json shape.

/// An error that knows the problem document it should be answered with.
public protocol ProblemConvertible: Error, Sendable {
    var problem: Problem { get }
}
