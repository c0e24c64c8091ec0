/// A daemon's configuration: its documented settings and how it reads them
/// (flag > environment > default). `DaemonMain` parses the command line into
/// a `ConfigSource`, and the tests build one from a dictionary.
public protocol DaemonConfiguration: Sendable {
    /// The executable's name (also the Kafka client id and the `service` of its logs and metrics).
    static var daemon: String { get }
    /// One line for `--help`.
    static var abstract: String { get }
    /// Every setting, in the order `--help` and the README show them.
    static var settings: [Setting] { get }
    init(_ source: ConfigSource) throws
    var common: CommonConfiguration { get }
}
