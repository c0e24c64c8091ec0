/// The body of `POST /api/v1/incidents/{id}/feedback`.
struct FeedbackBody: Decodable {
    var verdict: String
    var right_cause: String?
    var right_document: String?
    var note: String?
}
