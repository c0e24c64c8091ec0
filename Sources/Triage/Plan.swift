import Actions
import Foundation
import IncidentLog

public struct Plan: Sendable {
    public var decision: PlanDecision
    public var usage: PlannerUsage?
    public init(_ decision: PlanDecision, usage: PlannerUsage? = nil) { self.decision = decision; self.usage = usage }
}
