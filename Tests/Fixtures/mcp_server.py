#!/usr/bin/env python3
"""A small MCP server over stdio (newline-delimited JSON-RPC 2.0) for the
executor's `mcp` runner tests. Tools:
  pod_status(namespace: str, replicas: int)  -> text
  failing()                                   -> isError
  hang()                                      -> never answers
  leak()                                      -> text with a secret to redact
Every call is appended to $MCP_FIXTURE_LOG (one JSON line) when set.
"""
import json
import os
import sys
import time

TOOLS = [
    {"name": "pod_status", "description": "Pods of a namespace",
     "inputSchema": {"type": "object", "properties": {"namespace": {"type": "string"}, "replicas": {"type": "integer"}},
                     "required": ["namespace"]}},
    {"name": "failing", "description": "Always fails", "inputSchema": {"type": "object"}},
    {"name": "hang", "description": "Never answers", "inputSchema": {"type": "object"}},
    {"name": "leak", "description": "Prints a secret", "inputSchema": {"type": "object"}},
]


def reply(id_, result=None, error=None):
    msg = {"jsonrpc": "2.0", "id": id_}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def text(t, is_error=False):
    return {"content": [{"type": "text", "text": t}], "isError": is_error}


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    req = json.loads(line)
    method, id_, params = req.get("method"), req.get("id"), req.get("params") or {}
    if id_ is None:
        continue  # notifications
    if method == "initialize":
        reply(id_, {"protocolVersion": params.get("protocolVersion", "2025-06-18"),
                    "capabilities": {"tools": {}}, "serverInfo": {"name": "fixture", "version": "1.0"}})
    elif method == "ping":
        reply(id_, {})
    elif method == "tools/list":
        reply(id_, {"tools": TOOLS})
    elif method == "tools/call":
        name, args = params.get("name"), params.get("arguments") or {}
        if os.environ.get("MCP_FIXTURE_LOG"):
            with open(os.environ["MCP_FIXTURE_LOG"], "a") as f:
                f.write(json.dumps({"name": name, "arguments": args}) + "\n")
        if name == "pod_status":
            ns, n = args.get("namespace"), args.get("replicas", 3)
            reply(id_, text(f"namespace={ns} replicas={n} ({type(n).__name__}) all Running"))
        elif name == "failing":
            reply(id_, text("backend refused", is_error=True))
        elif name == "hang":
            time.sleep(3600)
        elif name == "leak":
            reply(id_, text("connected with token=s3cr3t-value ok"))
        else:
            reply(id_, None, {"code": -32602, "message": f"unknown tool {name}"})
    else:
        reply(id_, None, {"code": -32601, "message": f"no method {method}"})
