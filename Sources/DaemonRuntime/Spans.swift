import IncidentLog
import Tracing

/// Spans whose parent is a W3C context carried on the log (an envelope, a
/// Kafka header, a webhook's `traceparent`), and whose own context becomes
/// `TraceContext.current`, so that the events written inside carry it and the
/// next daemon's span is its child: one trace per incident, hop by hop. Inside
/// a span of the same trace, the new span nests under it. With tracing off,
/// the body runs as is.
public enum Spans {
    public static func run<T>(_ name: String, kind: SpanKind, parent: TraceContext?,
                              isolation: isolated (any Actor)? = #isolation,
                              attributes: (inout SpanAttributes) -> Void = { _ in },
                              _ body: (any Span) async throws -> T) async rethrows -> T {
        guard TraceExport.isEnabled else { return try await body(NoOpTracer.NoOpSpan(context: .topLevel)) }
        var context = ServiceContext.topLevel
        if let current = TraceContext.current, let parent, current.traceID == parent.traceID, let inside = ServiceContext.current {
            // Already in a span of this trace (the record's consumer span): nest under it.
            context = inside
        } else if let parent {
            context = Self.context(of: parent)
        }
        return try await withSpan(name, context: context, ofKind: kind) { span in
            attributes(&span.attributes)
            return try await TraceContext.$current.withValue(traceContext(of: span)) { try await body(span) }
        }
    }

    /// Links `span` to the span that wrote a record (a batch is processed in one span, linked to each).
    public static func link(_ span: any Span, to trace: TraceContext?) {
        guard TraceExport.isEnabled, let trace else { return }
        span.addLink(SpanLink(context: context(of: trace), attributes: [:]))
    }

    /// A context holding `trace` as the remote parent (W3C propagation).
    static func context(of trace: TraceContext) -> ServiceContext {
        var context = ServiceContext.topLevel
        var carrier = ["traceparent": trace.traceparent]
        carrier["tracestate"] = trace.tracestate
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: HeaderCarrier())
        return context
    }

    /// The W3C context of `span`.
    public static func traceContext(of span: any Span) -> TraceContext? {
        guard TraceExport.isEnabled else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(span.context, into: &carrier, using: HeaderCarrier())
        return carrier["traceparent"].flatMap { TraceContext(header: $0, state: carrier["tracestate"]) }
    }

    /// Records a failure on the current span (its status and the error).
    public static func fail(_ span: any Span, _ error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
    }
}

/// W3C headers as a dictionary, both ways.
struct HeaderCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
