# One image for every daemon and the CLI. Build: docker build -t aiops .
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka-dev libpq-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved pins the versions the tests ran with.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources Sources
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib \
    && mkdir /out && for b in aiops alert-ingestor embedder retriever reasoner approver executor; do cp "$(swift build -c release --show-bin-path)/$b" /out/; done

FROM debian:bookworm-slim
# kubectl for the catalog's kubectl runner: install your cluster's version into the image or mount it.
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 libpq5 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --uid 10001 --no-create-home aiops \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/aiops
COPY --from=build /out/ /usr/local/bin/
COPY topics /usr/share/aiops/topics
COPY examples/actions /usr/share/aiops/actions
USER 10001
ENTRYPOINT []
