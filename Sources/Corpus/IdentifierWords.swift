/// How an identifier reads as words, wherever a name meets an encoder: an alert name in a query, a runbook's
/// file name in its title embedding. Splits at `_`, `-`, `:`, at a lower-to-upper case change and at the end of
/// an acronym: `KubeAPIErrorBudgetBurn` → `Kube API Error Budget Burn`, `CNPGClusterHACritical` →
/// `CNPG Cluster HA Critical`, `pg_replication_lag` → `pg replication lag`. Both sides go through this one
/// function, so a name and the file named after it read the same.
public enum IdentifierWords {
    public static func spaced(_ s: String) -> String {
        var out = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            if c == "_" || c == ":" || c == "-" { out.append(" "); continue }
            if i > 0, c.isUppercase, chars[i - 1].isLowercase || chars[i - 1].isNumber
                || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isUppercase) {
                out.append(" ")
            }
            out.append(c)
        }
        return out.split(separator: " ").joined(separator: " ")
    }
}
