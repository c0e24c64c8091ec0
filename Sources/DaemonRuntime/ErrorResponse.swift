import Foundation
import HTTPTypes
import Hummingbird

/// The one error envelope every daemon's HTTP API answers with:
/// `{"error": {"code": "...", "field": "alerts[3].startsAt", "message": "..."}}`.
public struct ErrorEnvelope: Codable, Sendable, Hashable {
    public struct Body: Codable, Sendable, Hashable {
        /// Stable, machine-readable: `invalid_input`, `unauthorized`, `not_found`, `kafka_unavailable`, …
        public var code: String
        /// Where in the request the problem is, when it is one field.
        public var field: String?
        public var message: String
    }
    public var error: Body

    public init(code: String, field: String? = nil, message: String) {
        error = Body(code: code, field: field, message: message)
    }
}

/// An error answer in the one envelope.
public func errorResponse(_ status: HTTPResponse.Status, code: String, field: String? = nil, _ message: String) -> Response {
    jsonResponse(status, ErrorEnvelope(code: code, field: field, message: message))
}
