/// Why the approver cannot record what a person asked: nothing to decide or
/// give feedback on under that id (404), the request's deadline passed (409),
/// or the input does not fit the log's limits (400).
public struct ApproverError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notFound, expired, invalid }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
