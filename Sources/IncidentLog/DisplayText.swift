/// Untrusted text (alert labels and annotations, document text, command
/// output, model output) made safe for a person to read: control characters
/// and escape sequences cannot drive the terminal, and bidirectional
/// overrides or invisible characters cannot disguise what is shown
/// (a right-to-left override can make `rm` read as anything).
public enum DisplayText {
    /// For a terminal: controls become `\x1b`-style escapes, format and invisible characters `<U+202E>`;
    /// newlines and tabs are kept only with `multiline`.
    public static func terminal(_ s: String, multiline: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if multiline && (scalar == "\n" || scalar == "\t") {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x20 || scalar.value == 0x7f || (0x80...0x9f).contains(scalar.value) {
                out += "\\x" + hex(scalar.value, width: 2)
            } else if isInvisible(scalar) {
                out += "<U+" + hex(scalar.value, width: 4) + ">"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether showing `s` as is could mislead a reader (what `terminal` would change, newlines aside).
    public static func needsNeutralizing(_ s: String) -> Bool { terminal(s, multiline: true) != s }

    /// Bidirectional controls, zero-width and other format characters, line/paragraph separators, BOM.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .control: return true
        default: return scalar.value == 0xfeff || (0xfff9...0xfffb).contains(scalar.value)
        }
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16, uppercase: width > 2)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
