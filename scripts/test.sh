#!/usr/bin/env bash
# The test suite: installs what is missing (scripts/bootstrap.sh), builds, and
# runs every test. Integration tests start their own real components: the
# librdkafka mock cluster in-process, Alertmanager on loopback ports.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
swift build --build-tests -q
set +e
swift test --skip-build 2>&1 | tee .build/test-output.txt
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
