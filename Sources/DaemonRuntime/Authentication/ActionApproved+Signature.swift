import Crypto
import Foundation
import IncidentLog

extension ActionApproved {
    /// Signed by `key` (the approver's): key id set, signature over `signedBytes`.
    public func signed(incidentID: String, key: ProducerKey) throws -> ActionApproved {
        var copy = self
        copy.keyID = key.keyID
        copy.signature = try key.privateKey.signature(for: copy.signedBytes(incidentID: incidentID)).base64EncodedString()
        return copy
    }

    /// Whether the approver signed exactly this approval for this incident, with a key the keyring trusts for it.
    public func hasValidSignature(incidentID: String, keyring: Keyring) -> Bool {
        guard let sig = Data(base64Encoded: signature), sig.count == 64 else { return false }
        return keyring.isValid(signature: sig, for: signedBytes(incidentID: incidentID), producer: "approver", keyID: keyID)
    }
}
