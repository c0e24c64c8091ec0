#!/usr/bin/env python3
"""Study RetrievalScoring's weights on held-out halves of an eval.

    aiops eval retrieval .eval/public/suite.yaml --no-baselines --dump-candidates /tmp/cands.json
    scripts/tune-retrieval-weights.py /tmp/cands.json --kind runbook [--splits 6]

Re-scores the dumped candidates the way Sources/Retrieval/RetrievalScoring.swift
does (per-kind z-scores of the continuous signals, weighted, plus the
alert-name, component and service boosts; floor off), then for each random
50/50 split tunes the weights on one half by coordinate search and prints
recall@1 / recall@5 / MRR of the current and the tuned weights on the other
half. It only advises: the weights live in RetrievalScoring.Weights, and
`aiops eval retrieval` prints the real figures. Keep this in step with
RetrievalScoring.rank when that changes.
"""
import argparse, copy, json, math, random, re

# cv2/tv2: the second encoder's best-passage and title cosines (zero effect when the dump has none); pv: the page read
# whole; pv2: the second encoder's, only where at least 85% of the candidates are short pages (at most 300 words);
# spv: added to pv under that same condition; qt: the alert's text quotes the title (at least three words in a row);
# ex: BM25 of the document's words as written (past incidents; zero effect where the dump has none).
CURRENT = {
    "runbook": dict(cv=2, tv=1.5, ct=0.5, dt=2.5, an=3, co=2, sv=0.3, cv2=2, tv2=1, un=3, pv=0.5, pv2=0.5, spv=1, qt=1.5),
    "postmortem": dict(cv=0, tv=0.5, ct=0, dt=3, an=2, co=0.5, sv=0.3, cv2=1, tv2=0, ex=3.5),
}
GRID = {"cv": [0, 0.35, 0.7, 1, 1.5, 2], "tv": [0, 0.25, 0.5, 1, 1.5, 2], "ct": [0, 0.5, 1], "dt": [0, 1, 2, 2.5, 3],
        "an": [1, 2, 3], "co": [0, 0.5, 1, 2, 3, 4], "sv": [0, 0.3], "cv2": [0, 1, 2, 3], "tv2": [0, 0.5, 1, 1.5], "un": [0, 1, 1.5, 2, 2.5, 3, 4], "pv": [0, 0.5, 1, 2, 3], "pv2": [0, 0.5, 1, 2], "spv": [0, 0.5, 1, 1.5, 2], "qt": [0, 0.5, 1, 1.5, 2, 3], "ex": [0, 1, 2, 3, 3.5, 4, 5]}


def normalized(s):
    # DocumentName.key: lowercase ASCII letters and digits.
    return "".join(ch for ch in s.lower() if ("a" <= ch <= "z") or ("0" <= ch <= "9"))


def names(c):
    # RetrievalScoring.names: the file name without its extension (a README/index page by its folder), the
    # title, the front matter's alerts.
    parts = [p for p in c["path"].split("/") if p]
    stem = re.sub(r"\.(md|markdown|html|htm|adoc|asciidoc|rst|txt)$", "", parts[-1], flags=re.I) if parts else ""
    if stem.lower() in ("readme", "index", "_index") and len(parts) > 1:
        stem = parts[-2]
    return {normalized(x) for x in [stem, c["title"]] + c["alerts"]} - {""}


STOP_WORDS = {"and", "the", "of", "to", "a", "is", "too", "much", "many", "few", "for", "in", "on", "with", "an", "by", "ha", "has", "have",
              "been", "alert", "runbook", "how", "what", "when", "md", "readme", "index"}


def stem(w):
    if w.endswith("ly") and len(w) - 2 >= 4 and w[-3] not in "aeiouy":
        return w[:-2]
    for suffix in ("ing", "es", "ed", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def words(s):
    # DocumentName.words: split at case changes (fooBar, foo2Bar, HTTPServer) and non-alphanumerics, stemmed.
    s = re.sub(r"[^A-Za-z0-9]+", " ", s[:8000])
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", s)
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", s)
    return [w for w in (stem(x.lower()) for x in s.split()) if w not in STOP_WORDS]


def name_words(path):
    # DocumentName.nameWords: the file name without its extension (a README/index page: its folder).
    parts = [p for p in path.split("/") if p]
    if not parts:
        return []
    stem_ = re.sub(r"\.(md|markdown|html|htm|adoc|asciidoc|rst|txt)$", "", parts[-1], flags=re.I)
    if stem_.lower() in ("readme", "index", "_index"):
        if len(parts) < 2:
            return []
        stem_ = parts[-2]
    return words(stem_)


REPORTING_EXPORTERS = ("kube-state-metrics", "node-exporter")


def path_words(p):
    # RetrievalScoring.pathWords: a folder named after an exporter that reports on other things adds no words.
    segments = p.lower().replace(".md", "").split("/")
    return {w for i, seg in enumerate(segments)
            if not (i < len(segments) - 1 and any(x in seg for x in REPORTING_EXPORTERS))
            for w in re.split(r"[^a-z0-9]+", seg) if w}


def zscores(xs):
    mean = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
    return [0.0] * len(xs) if sd < 1e-9 else [(x - mean) / sd for x in xs]


def tokens(s):
    # RetrievalScoring.tokens: runs of lowercase ASCII letters and digits.
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).split()


def quotes(text, title, at_least=3):
    # RetrievalScoring.quotes: the title, at least three words long, word for word in the alert's text.
    words = tokens(title)
    return len(words) >= at_least and any(text[i:i + len(words)] == words for i in range(len(text) - len(words) + 1))


def mean_filled(xs):
    present = [x for x in xs if x is not None]
    mean = sum(present) / max(1, len(present))
    return [mean if x is None else x for x in xs]


def scores(case, w):
    """document id → score, as RetrievalScoring.rank computes it before the link boost (floor off)."""
    cands = case["candidates"]
    zv = zscores([c["chunkSimilarity"] for c in cands])
    zt = zscores(mean_filled([c.get("titleSimilarity") for c in cands]))
    zv2 = zscores(mean_filled([c.get("secondChunkSimilarity") for c in cands]))
    zt2 = zscores(mean_filled([c.get("secondTitleSimilarity") for c in cands]))
    zp = zscores(mean_filled([c.get("pageSimilarity") for c in cands]))
    short_pages = sum(c.get("length", 0) <= 300 for c in cands) >= 0.85 * len(cands)
    zp2 = zscores(mean_filled([c.get("secondPageSimilarity") for c in cands])) if short_pages else [0.0] * len(cands)
    zc = zscores([math.log1p(c["chunkText"]) for c in cands])
    zd = zscores([math.log1p(c["documentText"]) for c in cands])
    has_exact = w.get("ex", 0) and any(c.get("exactDocumentText") is not None for c in cands)
    ze = zscores(mean_filled([None if c.get("exactDocumentText") is None else math.log1p(c["exactDocumentText"])
                              for c in cands])) if has_exact else [0.0] * len(cands)
    if w.get("un", 0):
        query_words = set(words(case["query"] + " " + (case.get("severity") or "")))
        # A name without words gets the mean (RetrievalScoring: it says nothing either way).
        zu = zscores(mean_filled([-len([x for x in nw if x not in query_words]) if nw else None
                                  for nw in (name_words(c["path"]) for c in cands)]))
    else:
        zu = [0.0] * len(cands)
    pv = w.get("pv", 0) + (w.get("spv", 0) if short_pages and w.get("pv", 0) else 0)
    name = normalized(case.get("alertName") or "")
    components = set(case["components"])
    services = {s.lower() for s in case["services"]}
    query_tokens = tokens(case["query"])
    out = {}
    for i, c in enumerate(cands):
        s = w["cv"] * zv[i] + w["tv"] * zt[i] + w["ct"] * zc[i] + w["dt"] * zd[i] \
            + w.get("cv2", 0) * zv2[i] + w.get("tv2", 0) * zt2[i] + w.get("un", 0) * zu[i] + pv * zp[i] + w.get("pv2", 0) * zp2[i] \
            + w.get("ex", 0) * ze[i]
        if name and name in names(c):
            s += w["an"]
        if components and components & path_words(c["path"]):
            s += w["co"]
        if services and any(x.lower() in services for x in c["services"]):
            s += w["sv"]
        if w.get("qt", 0) and quotes(query_tokens, c["title"] or ""):
            s += w["qt"]
        out[c["documentID"]] = s
    query_words = set(words(case["query"] + " " + (case.get("severity") or "")))
    return hubs_below_named_pages(cands, placed_below_plainer_siblings(cands, out, query_words), query_words)


FOLDER_PAGES = ("readme", "index", "_index")


def placed_below_plainer_siblings(cands, out, query_words):
    # RetrievalScoring.placeUnaskedSpecializations: of two files in one folder where one's name is the other's plus
    # words the alert never mentions, the longer name goes just below the plainer one (README/index pages excluded).
    named = []
    for c in cands:
        file = c["path"].split("/")[-1]
        if file.split(".")[0].lower() in FOLDER_PAGES:
            continue
        nw = set(name_words(c["path"]))
        if nw:
            named.append((c["path"][: len(c["path"]) - len(file)], nw, c["documentID"]))
    named.sort(key=lambda x: len(x[1]))
    for folder, nw, b in named:
        for other_folder, plainer, a in named:
            if a != b and other_folder == folder and plainer < nw and not (nw - plainer) & query_words \
                    and out[b] >= out[a]:
                out[b] = out[a] - 1e-6
    return out


def hubs_below_named_pages(cands, out, query_words):
    # RetrievalScoring.placeHubsBelowNamedPages: a folder's README goes just below the best page in or under its
    # folder whose name words are all in the alert's words, when that page scores lower.
    def folder_page(path):
        return path.split("/")[-1].split(".")[0].lower() in FOLDER_PAGES
    named = [c for c in cands if not folder_page(c["path"]) and (nw := set(name_words(c["path"]))) and nw <= query_words]
    if not named:
        return out
    for hub in sorted(cands, key=lambda c: -out[c["documentID"]]):
        path = hub["path"]
        folder = path[: len(path) - len(path.split("/")[-1])]
        if not folder_page(path) or not folder:
            continue
        below = [c for c in named if c["path"].startswith(folder) and out[c["documentID"]] < out[hub["documentID"]]]
        if below:
            out[hub["documentID"]] = max(out[c["documentID"]] for c in below) - 1e-6
    return out


def ranked(case, w):
    s = scores(case, w)
    return sorted(s, key=lambda d: (-s[d], d))


def metrics(cases, w):
    r1 = r5 = rr = 0.0
    for case in cases:
        order = ranked(case, w)
        pos = next((i for i, d in enumerate(order) if d in case["expect"]), None)
        if pos is not None:
            r1 += pos == 0
            r5 += pos < 5
            rr += 1 / (pos + 1)
    n = max(1, len(cases))
    return r1 / n, r5 / n, rr / n


def hard(case):
    return case["wording"] in ("inhouse", "symptom", "unlike")


def objective(cases, w):
    # Hard wordings (names that match no document) weigh as much as the easy ones.
    a = [c for c in cases if hard(c)]
    b = [c for c in cases if not hard(c)]
    m1, m2 = metrics(a, w), metrics(b, w)
    return m1[2] + m2[2] + 0.5 * (m1[1] + m2[1])


def tune(cases, start):
    w, best = dict(start), objective(cases, start)
    for _ in range(2):
        for key, values in GRID.items():
            for v in values:
                trial = dict(w, **{key: v})
                o = objective(cases, trial)
                if o > best + 1e-9:
                    best, w = o, trial
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--kind", default="runbook", choices=["runbook", "postmortem"])
    ap.add_argument("--splits", type=int, default=6)
    ap.add_argument("--exclude", action="append", default=[],
                    help="leave out cases whose name starts with this source prefix (e.g. cnpg: a held-out corpus)")
    args = ap.parse_args()
    cases = []
    for case in json.load(open(args.dump)):
        if not case["expect"] or any(case["name"].startswith(x + ":") for x in args.exclude):
            continue
        case = copy.deepcopy(case)
        case["candidates"] = [c for c in case["candidates"] if c["kind"] == args.kind]
        if case["expect"][0].split("/")[0] == args.kind + "s" and case["candidates"]:
            cases.append(case)
    print(f"{len(cases)} cases of kind {args.kind}; current weights {CURRENT[args.kind]}")
    print("all cases, current: R@1 %.2f R@5 %.2f MRR %.3f" % metrics(cases, CURRENT[args.kind]))
    # The dump records the eval's own hybrid ranking (both kinds merged): this script must put the same document first.
    recorded = [c for c in cases if c.get("hybrid")]
    differ = [c["name"] + " (" + c["wording"] + ")" for c in recorded
              if ranked(c, CURRENT[args.kind])[0] != next((d for d in c["hybrid"] if d.startswith(args.kind + "s/")), None)]
    if recorded:
        print(f"re-scoring agrees with the eval at rank 1 on {len(recorded) - len(differ)} of {len(recorded)} cases"
              + ("" if not differ else ": differs on " + ", ".join(differ[:10])))
    rng = random.Random(1)
    for split in range(args.splits):
        order = cases[:]
        rng.shuffle(order)
        train, test = order[: len(order) // 2], order[len(order) // 2:]
        w = tune(train, CURRENT[args.kind])
        t = [c for c in test if hard(c)]
        print(f"split {split}: held-out hard wording current %.2f/%.2f/%.3f tuned %.2f/%.2f/%.3f; tuned {w}"
              % (metrics(t, CURRENT[args.kind]) + metrics(t, w)))


if __name__ == "__main__":
    main()
