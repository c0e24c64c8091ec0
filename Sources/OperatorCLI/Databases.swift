import ArgumentParser
import Foundation
import Postgres

/// Databases the operator commands make next to the configured one (a chaos run's, an eval's, a benchmark's),
/// on the same server, through its `postgres` database.
public enum Databases {
    /// `postgresql://u@h:p/db` → the same server's `name` database, created, with pgvector.
    public static func create(_ name: String, on url: String) async throws -> String {
        let conn = try await PostgresConnection.connect(try Self.url(url, database: "postgres"), logger: cliLogger())
        _ = try await conn.query("CREATE DATABASE \(try Self.identifier(name))")
        let made = try Self.url(url, database: name)
        let db = try await PostgresConnection.connect(made, logger: cliLogger())
        _ = try await db.query("CREATE EXTENSION IF NOT EXISTS vector")
        return made
    }

    public static func drop(_ name: String, on url: String) async throws {
        let conn = try await PostgresConnection.connect(try Self.url(url, database: "postgres"), logger: cliLogger())
        _ = try await conn.query("DROP DATABASE IF EXISTS \(try Self.identifier(name)) WITH (FORCE)")
    }

    /// Whether the database `url` names exists on its server.
    public static func exists(_ url: String) async throws -> Bool {
        let conn = try await PostgresConnection.connect(try Self.url(url, database: "postgres"), logger: cliLogger())
        return !(try await conn.query("SELECT 1 FROM pg_database WHERE datname = $1", [try Self.name(of: url)]).rows.isEmpty)
    }

    public static func url(_ url: String, database: String) throws -> String {
        guard var c = URLComponents(string: url) else { throw ValidationError("not a PostgreSQL URL: \(url)") }
        c.path = "/" + database
        return c.string ?? url
    }

    public static func name(of url: String) throws -> String {
        guard let c = URLComponents(string: url), c.path.count > 1 else { throw ValidationError("\(url) names no database") }
        return String(c.path.dropFirst())
    }

    /// A database name as it may appear in SQL: lowercase letters, digits and underscores.
    public static func identifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { throw ValidationError("database name \(name) must be lowercase letters, digits and _") }
        return name
    }
}
