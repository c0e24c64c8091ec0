import IncidentLog

/// Output for people at a terminal: every line passes through `DisplayText.terminal`, so untrusted
/// text (alert names, titles, rationales, command output) cannot emit escape sequences, NULs or
/// bidirectional overrides to the operator's terminal.
public enum Terminal {
    public static func safe(_ s: String) -> String { DisplayText.terminal(s) }

    /// Prints one line (newlines inside it are kept, everything else neutralized).
    public static func say(_ line: String) { print(DisplayText.terminal(line, multiline: true)) }
}
