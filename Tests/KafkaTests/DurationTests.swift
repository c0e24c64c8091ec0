@testable import Kafka
import Testing

@Suite("Kafka timeouts in milliseconds")
struct DurationTests {
    @Test func subSecondPartsAreKept() {
        #expect(Duration.milliseconds(250).milliseconds == 250)
        #expect(Duration.seconds(2).milliseconds == 2_000)
        #expect(Duration.milliseconds(1_500).milliseconds == 1_500)
        #expect(Duration.microseconds(10).milliseconds == 1, "a positive timeout never becomes 0 (= do not wait)")
        #expect(Duration.zero.milliseconds == 0)
        #expect(Duration.seconds(10_000_000).milliseconds == Int32.max)
    }
}
