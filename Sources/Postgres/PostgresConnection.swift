import CLibPQ
import Foundation
import Logging

/// One libpq connection. Every call runs on the connection's own serial queue
/// (libpq is blocking), so it never blocks the cooperative pool, and calls on
/// one connection are naturally serialized.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: `conn` and `prepared` are only used on `queue`.
    private let conn: OpaquePointer
    private let queue: DispatchQueue
    private let logger: Logger
    /// Names of statements prepared on this connection (touched only on `queue`).
    private var prepared: Set<String> = []

    private init(conn: OpaquePointer, logger: Logger) {
        self.conn = conn
        self.logger = logger
        queue = DispatchQueue(label: "libpq-connection")
    }

    /// Connects with a libpq connection string or URL (`postgresql://user@host:port/db`).
    public static func connect(_ url: String, logger: Logger) async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                guard let conn = PQconnectdb(url) else {
                    c.resume(throwing: PostgresError(.connection, "out of memory")); return
                }
                guard PQstatus(conn) == CONNECTION_OK else {
                    let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
                    PQfinish(conn)
                    c.resume(throwing: PostgresError(.connection, message)); return
                }
                c.resume(returning: PostgresConnection(conn: conn, logger: logger))
            }
        }
    }

    deinit { PQfinish(conn) }

    /// Runs one statement with `$1…$n` text parameters (nil = NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try self.execute(sql, parameters) }) }
        }
    }

    /// Runs a statement that is prepared once per connection and then only
    /// executed: for hot queries whose planning time matters (hybrid search).
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [String?] = []) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try self.executePrepared(sql, parameters) }) }
        }
    }

    private func executePrepared(_ sql: String, _ parameters: [String?]) throws -> PostgresRows {
        var hasher = Hasher()
        hasher.combine(sql)
        let name = "aiops_\(UInt(bitPattern: hasher.finalize()))"
        if !prepared.contains(name) {
            let result = PQprepare(conn, name, sql, Int32(parameters.count), nil)
            defer { PQclear(result) }
            _ = try check(result, sql: sql)
            prepared.insert(name)
        }
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for p in cStrings { free(p) } }
        let result = cStrings.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buf.count)) { values in
                PQexecPrepared(conn, name, Int32(parameters.count), parameters.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        return try check(result, sql: sql)
    }

    /// Runs several statements separated by semicolons, without parameters (migrations).
    public func execute(script: String) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            queue.async {
                c.resume(with: Result {
                    let result = PQexec(self.conn, script)
                    defer { PQclear(result) }
                    _ = try self.check(result, sql: String(script.prefix(80)))
                })
            }
        }
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back if it throws.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            _ = try? await query("ROLLBACK")
            throw error
        }
    }

    private func execute(_ sql: String, _ parameters: [String?]) throws -> PostgresRows {
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for p in cStrings { free(p) } }
        let result = cStrings.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buf.count)) { values in
                PQexecParams(conn, sql, Int32(parameters.count), nil, parameters.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        return try check(result, sql: sql)
    }

    /// The one place every libpq result status is checked.
    private func check(_ result: OpaquePointer?, sql: String) throws -> PostgresRows {
        guard let result else {
            throw PostgresError(.connection, String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            break
        default:
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            if PQstatus(conn) != CONNECTION_OK { throw PostgresError(.connection, message, sqlState: state) }
            throw PostgresError(.query, "\(message) — in: \(sql.prefix(120))", sqlState: state)
        }
        let nColumns = Int(PQnfields(result))
        let nRows = Int(PQntuples(result))
        let columns = (0..<nColumns).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(nRows)
        for r in 0..<nRows {
            rows.append((0..<nColumns).map { c in
                PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
            })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affected: affected)
    }
}
