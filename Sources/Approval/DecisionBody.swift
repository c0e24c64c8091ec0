import Crypto
import DaemonRuntime
import Foundation
import HTTPTypes
import HTTPClient
import Hummingbird
import IncidentLog
import Kafka
import Logging
import NIOCore
import Prometheus
import Synchronization
import Yams

struct DecisionBody: Decodable { var reason: String }
