/// An error from the Postgres wrapper. New codes can be added without breaking callers.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public static let connection = Code(raw: "connection")
        public static let query = Code(raw: "query")
        public static let closed = Code(raw: "closed")
        public static let decoding = Code(raw: "decoding")
        public var description: String { raw }
    }

    public var code: Code
    public var message: String
    /// SQLSTATE of a server error (e.g. `23505` unique violation).
    public var sqlState: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String {
        "postgres \(code): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }
}
