#!/usr/bin/env bash
# Tracing overhead on the triage path: `aiops bench triage` through the local
# stack with OTLP trace export off, then on (every daemon exporting over
# OTLP/HTTP to `aiops bench otlp-sink`), in alternating rounds of the same
# command; prints each run and the on/off ratios of p50 and p99. Release build.
#   ROUNDS=2 ALERTS=200 scripts/bench-tracing.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-2}"
ALERTS="${ALERTS:-200}"
SINK_PORT="${SINK_PORT:-4318}"
BIN="$ROOT/.build/release"
[[ -x "$BIN/aiops-bench" ]] || swift build -c release
out="$ROOT/.build/bench-tracing"
rm -rf "$out"; mkdir -p "$out"
sink=""
cleanup() { [[ -n "$sink" ]] && kill "$sink" 2>/dev/null || true; scripts/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
for round in $(seq 1 "$ROUNDS"); do
    for mode in off on; do
        scripts/stack.sh down >/dev/null 2>&1 || true
        # The previous stack's daemons let go of their ports before the next one starts.
        for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/9095) 2>/dev/null || break; sleep 0.5; done
        if [[ $mode == on ]]; then
            "$BIN/aiops-bench" otlp-sink --port "$SINK_PORT" >"$out/sink-$round.txt" 2>&1 &
            sink=$!
            export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
        else
            unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL
        fi
        REASONER_DIAGNOSTICS=false AIOPS_BUILD_CONFIG=release scripts/stack.sh up --detach >/dev/null
        (source .stack/env && "$BIN/aiops" corpus sync examples/ops-handbook >/dev/null \
            && "$BIN/aiops" bench triage --alerts "$ALERTS") | tee "$out/$mode-$round.txt" | grep -E "p50|tracing" || true
        if [[ -n "$sink" ]]; then
            kill "$sink"; wait "$sink" 2>/dev/null || true; sink=""
            grep received "$out/sink-$round.txt" || echo "the sink received nothing"
        fi
        echo "   ^ tracing $mode, round $round"
    done
done
scripts/stack.sh down >/dev/null 2>&1 || true
python3 - "$out" <<'PY'
import glob, re, statistics, sys
def figures(mode):
    p50, p99 = [], []
    for f in sorted(glob.glob(f"{sys.argv[1]}/{mode}-*.txt")):
        m = re.search(r"TriageProposed: p50 (\d+) ms, p99 (\d+) ms", open(f).read())
        if m: p50.append(float(m.group(1))); p99.append(float(m.group(2)))
    return statistics.median(p50), statistics.median(p99)
on, off = figures("on"), figures("off")
print(f"webhook → TriageProposed, median of rounds: tracing on p50 {on[0]:.0f} ms p99 {on[1]:.0f} ms; "
      f"off p50 {off[0]:.0f} ms p99 {off[1]:.0f} ms; on/off p50 {on[0]/off[0]:.2f}x p99 {on[1]/off[1]:.2f}x")
print("target: within 10% of off [" + ("met" if on[0] <= 1.1 * off[0] else "NOT met") + "]")
PY
