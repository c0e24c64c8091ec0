#!/usr/bin/env python3
"""Checks the pipeline's own monitoring against the running local stack.

Run after `scripts/stack.sh up --detach` (scripts/test.sh does):

1. `promtool check rules` and `promtool test rules` on deploy/prometheus/.
2. deploy/grafana/dashboards/*.json are what deploy/grafana/dashboards.py writes.
3. A load through the stack: the example alerts through Alertmanager, then
   every dashboard panel's query must return data (not empty, not NaN) from
   the stack's Prometheus.
4. A consumer stopped (SIGSTOP on the embedder, then a corpus record it does
   not consume): a second Prometheus with the same rules, their `for:`
   shortened to seconds, must fire AIOpsConsumerGroupStopped; the alert goes
   through the stack's Alertmanager into aiops itself, whose retrieval must
   cite runbooks/aiops-consumer-stopped first, and whose triage must pick the
   past incident "embedder frozen" over "embeddings server unreachable" from
   the values the stack's Prometheus returns for their Signals, and must put
   the runbook's restart of the embedder before a human
   (examples/ops-handbook and docs/ops-handbook are synced into the corpus first).

Exit status 0 when every check passed; each failure is printed.
"""
import glob, json, math, os, re, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.parse, urllib.request
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AIOPS = os.path.join(ROOT, ".build", "debug", "aiops")
failures = []


def env():
    out = {}
    with open(os.path.join(ROOT, ".stack", "env")) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)", line.strip())
            if m:
                out[m.group(1)] = m.group(2)
    return out


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg, flush=True)


def ok(msg):
    print("ok   " + msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def query(prom, expr):
    d = get_json(prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    return d["data"]["result"]


def has_data(result):
    return any(not math.isnan(float(s["value"][1])) for s in result)


def post_alerts(am, path, starts_at, round=None):
    alerts = json.loads(open(path).read().replace("__STARTS_AT__", starts_at))
    if round is not None:  # a new Alertmanager group, so a new incident, retrieval and triage
        for a in alerts:
            a["labels"]["service"] = f'{a["labels"].get("service", "svc")}-{round}'
    body = json.dumps(alerts).encode()
    req = urllib.request.Request(am + "/api/v2/alerts", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def incidents(e):
    out = run([AIOPS, "incidents", "--json"], env={**os.environ, **e})
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else []


def replay(e, incident):
    out = run([AIOPS, "replay", "--json", incident], env={**os.environ, **e})
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()] if out.returncode == 0 else []


def wait(what, predicate, timeout, every=2.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(every)
    return None


def check_rules():
    files = sorted(glob.glob(os.path.join(ROOT, "deploy/prometheus/*.yaml")))
    r = run(["promtool", "check", "rules", *files])
    (ok if r.returncode == 0 else fail)("promtool check rules " + " ".join(os.path.basename(f) for f in files)
                                        + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    tests = sorted(glob.glob("tests/*.yaml", root_dir=os.path.join(ROOT, "deploy/prometheus")))
    r = run(["promtool", "test", "rules", *tests], cwd=os.path.join(ROOT, "deploy/prometheus"))
    (ok if r.returncode == 0 else fail)("promtool test rules " + " ".join(tests)
                                        + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))


def check_dashboards_are_generated():
    with tempfile.TemporaryDirectory() as tmp:
        r = run([sys.executable, os.path.join(ROOT, "deploy/grafana/dashboards.py"), "--out", tmp])
        if r.returncode != 0:
            return fail("deploy/grafana/dashboards.py failed: " + r.stderr)
        for path in sorted(glob.glob(os.path.join(tmp, "*.json"))):
            kept = os.path.join(ROOT, "deploy/grafana/dashboards", os.path.basename(path))
            if not os.path.exists(kept) or open(kept).read() != open(path).read():
                fail(f"{os.path.relpath(kept, ROOT)} is not what dashboards.py writes: run python3 deploy/grafana/dashboards.py")
            else:
                ok(f"{os.path.relpath(kept, ROOT)} is generated")


def panels():
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy/grafana/dashboards/*.json"))):
        d = json.load(open(path))
        for p in d["panels"]:
            for t in p.get("targets", []):
                yield d["uid"], p["title"], t["expr"]


def check_panels(prom):
    # Give rate() windows two scrapes of the load and the exporter a fold.
    missing = []
    def all_have_data():
        missing.clear()
        for uid, title, expr in panels():
            try:
                if not has_data(query(prom, expr)):
                    missing.append((uid, title, expr))
            except Exception as err:  # a query Prometheus refuses is a failure too
                missing.append((uid, title, f"{expr}: {err}"))
        return not missing
    wait("panels", all_have_data, timeout=120, every=5)
    n = sum(1 for _ in panels())
    if missing:
        for uid, title, expr in missing:
            fail(f"dashboard {uid}, panel \"{title}\": no data for {expr}")
    else:
        ok(f"every dashboard query ({n}) returns data from {prom}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_pid(name):
    out = run(["pgrep", "-f", rf"{re.escape(ROOT)}/\.build/[^ ]*/{name}$"]).stdout.split()
    return int(out[0]) if out else None


def scrape_targets(prom_url):
    cfg = open(os.path.join(ROOT, ".stack/prometheus/prometheus.yml")).read()
    return re.findall(r"job_name: (aiops-[\w-]+), static_configs: \[\{targets: \[\"([\d.:]+)\"\]", cfg)


def check_alert_into_aiops(e):
    am, prom = e["ALERTMANAGER_URL"], e["PROMETHEUS_URL"]
    embedder = stack_pid("embedder")
    if embedder is None:
        return fail("the stack's embedder is not running")
    work = tempfile.mkdtemp(prefix="aiops-obs-")
    port = free_port()
    rules = os.path.join(work, "aiops-rules.yaml")
    with open(os.path.join(ROOT, "deploy/prometheus/aiops-rules.yaml")) as f:
        # A service label of this run's own: its own Alertmanager group, so its own incident in aiops.
        run_id = os.urandom(3).hex()
        open(rules, "w").write(re.sub(r"service: aiops([,}])", f"service: aiops-check-{run_id}\\1",
                                      re.sub(r"for: \d+m", "for: 10s", f.read())))
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 2s}\n")
        f.write(f"alerting: {{alertmanagers: [{{static_configs: [{{targets: [\"{am.split('//')[1]}\"]}}]}}]}}\n")
        f.write(f"rule_files: [\"{rules}\"]\nscrape_configs:\n")
        for job, target in scrape_targets(prom):
            f.write(f"  - {{job_name: {job}, static_configs: [{{targets: [\"{target}\"]}}]}}\n")
    fast = subprocess.Popen([shutil.which("prometheus"), f"--config.file={work}/prometheus.yml",
                             f"--storage.tsdb.path={work}/data", f"--web.listen-address=127.0.0.1:{port}",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fast_url = f"http://127.0.0.1:{port}"
    # A handbook of one page, synced while the embedder is frozen: a record its group does not consume. Its text
    # is new on every run, so a stack that ran this check before still has something to embed.
    handbook = os.path.join(work, "handbook")
    os.makedirs(os.path.join(handbook, "runbooks"))
    open(os.path.join(handbook, "runbooks", "obs-check.md"), "w").write(
        "---\nid: runbooks/obs-check\nkind: runbook\ntitle: Observability check page\n---\n# Observability check page\n\n"
        f"Written by scripts/check-observability.py at {time.time():.0f}.\n")
    # Everything synced so far is indexed (docs/ops-handbook's postmortems are the evidence below).
    caught_up = wait("embedder", lambda: any(float(x["value"][1]) == 0 for x in
                                             query(prom, 'aiops_consumer_group_lag{group="aiops-embedder"}')), timeout=240, every=3)
    if not caught_up:
        return fail("the embedder did not catch up with the corpus within 240 s")
    os.kill(embedder, signal.SIGSTOP)
    try:
        r = run([AIOPS, "corpus", "sync", handbook], env={**os.environ, **e})
        if r.returncode != 0:
            return fail("aiops corpus sync (while the embedder is stopped): " + r.stderr)
        firing = wait("alert", lambda: [a for a in get_json(fast_url + "/api/v1/alerts")["data"]["alerts"]
                                         if a["labels"]["alertname"] == "AIOpsConsumerGroupStopped"
                                         and a["labels"].get("group") == "aiops-embedder" and a["state"] == "firing"],
                      timeout=180)
        if not firing:
            return fail("AIOpsConsumerGroupStopped{group=\"aiops-embedder\"} did not fire within 180 s of SIGSTOP")
        ok("AIOpsConsumerGroupStopped fired for aiops-embedder in Prometheus")

        def incident():
            for inc in incidents(e):
                events = replay(e, inc["id"]) if "AIOpsConsumerGroupStopped" in json.dumps(inc) else []
                if f"aiops-check-{run_id}" in json.dumps(events[:2]):
                    return inc["id"], events
            return None

        def retrieved():
            got = incident()
            if not got:
                return None
            for ev in got[1]:
                p = ev.get("payload", {})
                if ev.get("type") == "RetrievalCompleted" and p.get("alertname") == "AIOpsConsumerGroupStopped":
                    return got[0], [r.get("document_id") for r in p.get("runbooks", [])]
            return None
        got = wait("retrieval", retrieved, timeout=120)
        if not got:
            return fail("AIOpsConsumerGroupStopped did not reach aiops (no incident with its retrieval)")
        inc, runbooks = got
        if runbooks[:1] == ["runbooks/aiops-consumer-stopped"]:
            ok(f"aiops incident {inc}: retrieval cites runbooks/aiops-consumer-stopped first ({runbooks})")
        else:
            fail(f"aiops incident {inc}: retrieval cites {runbooks}, not runbooks/aiops-consumer-stopped first")

        # aiops triages its own alert on the stack's Prometheus: the values decide between two past causes.
        def triaged():
            got = incident()
            for ev in (got[1] if got else []):
                if ev.get("type") == "TriageProposed":
                    return ev["payload"]
            return None
        t = wait("triage", triaged, timeout=120)
        if not t:
            return fail(f"aiops incident {inc}: no triage")
        hs = t.get("hypotheses") or []
        first = hs[0] if hs else {}
        if first.get("cause") == "postmortems/2026-09-14-aiops-embedder-frozen" and first.get("status") == "supported":
            ok(f"aiops incident {inc}: triage decided by measured values: {first.get('evidence_for')}; "
               + "; ".join(f"{h['cause']} {h['status']}" for h in hs[1:]))
        else:
            fail(f"aiops incident {inc}: the triage did not pick the frozen embedder from the measurements: "
                 + json.dumps([{k: h.get(k) for k in ("cause", "status", "score", "evidence_for", "evidence_against")} for h in hs]))

        # The rule's namespace and deployment labels give the runbook's restart its parameters: it waits for a human.
        def restart():
            got = incident()
            for ev in (got[1] if got else []):
                p = ev.get("payload", {})
                if ev.get("type") == "ActionProposed" and p.get("action") == "kubectl.rollout-restart":
                    return p.get("parameters")
            return None
        params = wait("restart", restart, timeout=60)
        if params == {"namespace": "aiops", "deployment": "embedder"}:
            ok(f"aiops incident {inc}: the runbook's restart of the embedder waits for a human ({params})")
        else:
            fail(f"aiops incident {inc}: no restart of the embedder proposed (got {params})")
    finally:
        os.kill(embedder, signal.SIGCONT)
        # The check page leaves the corpus again.
        shutil.rmtree(os.path.join(handbook, "runbooks"), ignore_errors=True)
        os.makedirs(os.path.join(handbook, "runbooks"), exist_ok=True)
        run([AIOPS, "corpus", "sync", handbook], env={**os.environ, **e})
        fast.terminate()
        fast.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    e = env()
    for handbook in ("examples/ops-handbook", "docs/ops-handbook"):
        r = run([AIOPS, "corpus", "sync", os.path.join(ROOT, handbook)], env={**os.environ, **e})
        if r.returncode != 0:
            fail(f"aiops corpus sync {handbook}: {r.stderr}")
    check_rules()
    check_dashboards_are_generated()
    # The load: rounds of the example alerts a scrape apart (rate() needs an increase between two
    # scrapes), and one malformed record on the incident log for the dead-letter panels.
    starts = (datetime.now(timezone.utc) - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    topic = e.get("AIOPS_TOPIC_PREFIX", "") + "aiops.incidents.v1"
    r = run(["kcat", "-b", e["KAFKA_BROKERS"], "-t", topic, "-P"], input="not an incident event\n")
    if r.returncode != 0:
        fail("kcat could not write the malformed record: " + r.stderr)
    for round in range(4):
        for path in sorted(glob.glob(os.path.join(ROOT, "examples/alerts/*.json"))):
            post_alerts(e["ALERTMANAGER_URL"], path, starts, round)
        time.sleep(6)
    check_panels(e["PROMETHEUS_URL"])
    check_alert_into_aiops(e)
    print(f"{len(failures)} observability check(s) failed" if failures else "observability: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
