import Foundation
import Yams

/// A problem with the catalog or with a request to run an action.
public struct ActionError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public static let catalog = Code(raw: "catalog")
        public static let unknownAction = Code(raw: "unknownAction")
        public static let invalidParameter = Code(raw: "invalidParameter")
        public static let notAllowed = Code(raw: "notAllowed")
        public static let launch = Code(raw: "launch")
        public var description: String { raw }
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { "action \(code): \(message)" }
}
