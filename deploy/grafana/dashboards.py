#!/usr/bin/env python3
"""Writes deploy/grafana/dashboards/*.json: the aiops dashboards as code.

Edit the panels here and run `python3 deploy/grafana/dashboards.py`; a test
checks the JSON is what this script writes and that every panel's query
returns data from a Prometheus scraping the stack (scripts/check-observability.py).
"""
import json, os, sys

DS = {"type": "prometheus", "uid": "prometheus"}


def panel(pid, title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries", legend=None):
    targets = [{"refId": chr(65 + i), "expr": e, "legendFormat": (legend[i] if legend else "__auto"), "datasource": DS}
               for i, e in enumerate(exprs)]
    return {"id": pid, "type": kind, "title": title, "datasource": DS, "targets": targets,
            "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}


def dashboard(uid, title, description, panels):
    return {"uid": uid, "title": title, "description": description, "tags": ["aiops"], "timezone": "utc",
            "schemaVersion": 39, "version": 1, "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": []}, "annotations": {"list": []}, "panels": panels}


pipeline = dashboard("aiops-pipeline", "aiops: pipeline", "Rates, lag, dead letters, errors and latency per hop.", [
    panel(1, "Alerts accepted / s", ['sum(rate(aiops_ingest_alerts_total{result="accepted"}[5m]))',
                                     'sum(rate(aiops_ingest_alerts_total{result="duplicate"}[5m]))'], 0, 0, legend=["accepted", "duplicate"]),
    panel(2, "Records handled / s per consumer group", ["sum by (group) (rate(aiops_consumer_messages_total[5m]))"], 12, 0,
          legend=["{{group}}"]),
    panel(3, "Consumer group lag (records)", ["aiops_consumer_group_lag"], 0, 8, legend=["{{group}}"]),
    panel(4, "Consumer group status (1 = current)", ['aiops_consumer_group_status == 1'], 12, 8, kind="table"),
    panel(5, "Dead letters by group and reason", ["aiops_deadletter_records"], 0, 16, legend=["{{group}} {{reason}}"]),
    panel(6, "Handler failures / s", ["sum by (group) (rate(aiops_consumer_handler_failures_total[5m]))"], 12, 16,
          legend=["{{group}}"]),
    panel(7, "Webhook latency p99", ["histogram_quantile(0.99, sum by (le) (rate(aiops_ingest_request_seconds_bucket[5m])))"],
          0, 24, unit="s", legend=["alert-ingestor"]),
    panel(8, "Handle time p99 per group", ["histogram_quantile(0.99, sum by (le, group) (rate(aiops_consumer_handle_seconds_bucket[5m])))"],
          12, 24, unit="s", legend=["{{group}}"]),
    panel(9, "Retrieval and embeddings p99", ["histogram_quantile(0.99, sum by (le) (rate(aiops_retrieval_seconds_bucket[5m])))",
                                              "histogram_quantile(0.99, sum by (le) (rate(aiops_embeddings_request_seconds_bucket[5m])))"],
          0, 32, unit="s", legend=["retrieval", "embeddings request"]),
    panel(10, "Topic log-end offsets", ["sum by (topic) (aiops_topic_log_end_offset)"], 12, 32, legend=["{{topic}}"]),
    panel(11, "Daemons up", ['up{job=~"aiops-.*"}'], 0, 40, w=24, h=6, kind="stat", legend=["{{job}}"]),
])

incidents = dashboard("aiops-incidents", "aiops: incidents and triage", "Incidents, time to triage, escalations, approvals, outcomes and LLM usage.", [
    panel(1, "Incidents by state", ["aiops_incidents"], 0, 0, legend=["{{state}}"]),
    panel(2, "Time to triage p50 / p90", ["histogram_quantile(0.5, sum by (le) (rate(aiops_time_to_triage_seconds_bucket[30m])))",
                                          "histogram_quantile(0.9, sum by (le) (rate(aiops_time_to_triage_seconds_bucket[30m])))"],
          12, 0, unit="s", legend=["p50", "p90"]),
    panel(3, "Events on the log / s by type", ["sum by (type) (rate(aiops_log_events_total[5m]))"], 0, 8, legend=["{{type}}"]),
    panel(4, "Escalations / opened (1 h)", ['(sum(increase(aiops_log_events_total{type="IncidentEscalated"}[1h])) or vector(0))'
                                             ' / clamp_min(sum(increase(aiops_log_events_total{type="IncidentOpened"}[1h])), 1)'],
          12, 8, unit="percentunit", legend=["escalated share"]),
    panel(5, "Approvals waiting, oldest (s)", ["aiops_approvals_waiting", "aiops_approvals_oldest_waiting_seconds"], 0, 16,
          legend=["waiting", "oldest waiting s"]),
    panel(6, "Decisions by kind (1 h)", ["sum by (kind) (increase(aiops_decisions_total[1h]))"], 12, 16, legend=["{{kind}}"]),
    panel(7, "Action outcomes (1 h)", ["sum by (outcome) (increase(aiops_action_outcomes_total[1h]))"], 0, 24, legend=["{{outcome}}"]),
    panel(8, "Executor runs by outcome / min", ["sum by (outcome) (rate(aiops_executor_actions_total[15m])) * 60"], 12, 24,
          legend=["{{outcome}}"]),
    panel(9, "LLM tokens / min by model", ["sum by (planner, model) (rate(aiops_planner_tokens_total[5m])) * 60"], 0, 32,
          legend=["{{planner}} {{model}}"]),
    panel(10, "Planner calls / min", ["sum by (planner) (rate(aiops_planner_calls_total[5m])) * 60"], 12, 32, legend=["{{planner}}"]),
])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
if len(sys.argv) == 3 and sys.argv[1] == "--out":
    out = sys.argv[2]
for d in (pipeline, incidents):
    with open(os.path.join(out, d["uid"] + ".json"), "w") as f:
        json.dump(d, f, indent=2, sort_keys=True)
        f.write("\n")
