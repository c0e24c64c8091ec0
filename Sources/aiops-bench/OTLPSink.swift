import ArgumentParser
import Foundation
import Hummingbird
import Synchronization

/// An OTLP/HTTP receiver that answers every export with 200 and counts the
/// requests and bytes: the far side of a trace exporter in the tracing
/// overhead benchmarks (`aiops bench ingest --compare-tracing`,
/// scripts/bench-tracing.sh), so what is measured is the daemons' cost, not a
/// collector's.
struct OTLPSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "otlp-sink",
                                                    abstract: "Receive OTLP/HTTP exports and discard them (for tracing benchmarks).")
    @Option(help: "Port on 127.0.0.1.") var port = 4318

    func run() async throws {
        let sink = Sink()
        print("otlp sink on 127.0.0.1:\(port)")
        try await sink.application(port: port).runService()
        print("otlp sink received \(sink.exports.load(ordering: .relaxed)) exports, \(sink.bytes.load(ordering: .relaxed)) bytes")
    }

    final class Sink: Sendable {
        let exports = Atomic(0)
        let bytes = Atomic(0)

        func application(port: Int) -> some ApplicationProtocol {
            let router = Router()
            router.post("/v1/traces") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 64 << 20)
                self.exports.add(1, ordering: .relaxed)
                self.bytes.add(body.readableBytes, ordering: .relaxed)
                return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        }
    }
}
