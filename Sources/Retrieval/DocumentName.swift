/// How names are compared wherever a name picks a document — an alert name against a file name or title, a
/// runbook link against a path: lowercase ASCII letters and digits only, so `KubePodCrashLooping`,
/// `kube-pod-crash-looping.md` and `kubepodcrashlooping` agree. The index's generated `name_key` and
/// `title_key` columns compute the same key in SQL (IndexStore migrations 3 and 4); keep them in step.
public enum DocumentName {
    public static func key(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }.map(Character.init))
    }
}
