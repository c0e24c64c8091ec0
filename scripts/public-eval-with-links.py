#!/usr/bin/env python3
"""Writes a variant of the public retrieval eval whose GitLab alerts carry their
rule's own `runbook` annotation (the upstream rules link every alert to its
runbook as `docs/<path>.md`; the eval's expected answers were derived from it,
so the plain suite leaves it out). It measures what the alert's own runbook
link (RunbookLink) does on real paths, next to the plain figures:

    scripts/public-eval-with-links.py .eval/public/suite.yaml /tmp/suite-linked.yaml
    aiops eval retrieval /tmp/suite-linked.yaml --database-url "$B/aiops_eval"
"""
import sys

import yaml


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    suite = yaml.safe_load(open(src))
    n = 0
    for case in suite["cases"]:
        expect = case.get("expect") or []
        if case.get("set") == "runbooks" and expect and expect[0].startswith("runbooks/gitlab/"):
            case["alert"].setdefault("annotations", {})["runbook"] = "docs/" + expect[0][len("runbooks/gitlab/"):] + ".md"
            n += 1
    yaml.safe_dump(suite, open(out, "w"), sort_keys=False)
    print(f"{out}: {n} GitLab cases carry their rule's runbook annotation")


if __name__ == "__main__":
    main()
