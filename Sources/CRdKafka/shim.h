#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Macros Swift cannot import as written (casts), as constants. */
static const int32_t AIOPS_RD_KAFKA_PARTITION_UA = RD_KAFKA_PARTITION_UA;
static const int64_t AIOPS_RD_KAFKA_OFFSET_BEGINNING = RD_KAFKA_OFFSET_BEGINNING;
static const int64_t AIOPS_RD_KAFKA_OFFSET_END = RD_KAFKA_OFFSET_END;
