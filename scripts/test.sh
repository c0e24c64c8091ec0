#!/usr/bin/env bash
# The test suite: installs what is missing (scripts/bootstrap.sh), builds, and
# runs every test. Integration tests start their own real components: the
# librdkafka mock cluster in-process, Alertmanager on loopback ports. Then a
# CI-sized fault-injection run (aiops chaos) through the real daemons, on the
# local stack's PostgreSQL and embeddings server, and the observability checks
# (scripts/check-observability.py) against the stack.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
swift build --build-tests -q
# The two tests that take the broker down run on their own after the rest: librdkafka's mock broker closes its
# listener and binds the same port again, and while the suite opens sockets in parallel another one can take that
# port in between, which aborts the whole test process (an assertion in rdkafka_mock.c, seen once).
outage='kafkaDownGets503WithRetryAfterAndNothingIsLost|sendFailsWhenTheBrokerStaysDown'
set +e
swift test --skip-build --skip "$outage" 2>&1 | tee .build/test-output.txt
rc=${PIPESTATUS[0]}
swift test --skip-build --filter "$outage" 2>&1 | tee -a .build/test-output.txt
outage_rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] && rc=$outage_rc
set -e

# The chaos run needs PostgreSQL and the embeddings server: the running stack's, or one started here.
started=false
if [[ ! -f .stack/ready ]] || ! (source .stack/env && curl -fsS --retry 5 --retry-all-errors -o /dev/null "$EMBEDDINGS_URL/models"); then
    scripts/stack.sh up --detach >/dev/null
    started=true
fi
set +e
rm -rf .build/chaos
(source .stack/env && .build/debug/aiops chaos --alerts 45 --duration 40 --kill-every 5 --settle 150 \
    --work-dir .build/chaos) 2>&1 | tee .build/chaos-output.txt
chaos=${PIPESTATUS[0]}
# The pipeline's own monitoring on the stack: promtool on the rules, every dashboard query
# answered by its Prometheus under load, a stopped consumer alerting into aiops itself, which
# triages it from what its Prometheus measures.
python3 scripts/check-observability.py 2>&1 | tee .build/observability-output.txt
observability=${PIPESTATUS[0]}
set -e
$started && scripts/stack.sh down >/dev/null
[[ $rc -ne 0 ]] && exit "$rc"
[[ $chaos -ne 0 ]] && exit "$chaos"
exit "$observability"
