import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

public enum SearchMode: String, Sendable, CaseIterable { case hybrid, vector, text }
