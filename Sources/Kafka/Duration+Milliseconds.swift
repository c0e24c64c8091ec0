extension Duration {
    /// Milliseconds for librdkafka's `int timeout_ms`, keeping sub-second parts
    /// (a positive duration under 1 ms is 1, never 0 = "don't wait"); clamped to Int32.
    var milliseconds: Int32 {
        let c = components
        let ms = c.seconds * 1000 + (c.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }
}
