import Actions
import Foundation
import IncidentLog

/// "action|k=v&k=v": the identity of a proposal for loop detection.
public enum ActionKey {
    public static func of(_ action: String, _ params: [String: String]) -> String {
        action + "|" + params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }
}
