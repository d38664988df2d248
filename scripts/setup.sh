#!/usr/bin/env bash
# Create .venv and install kb into it (with --dev: the test and lint tools too).
# Idempotent and quick on a second run: it skips pip when pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
extra=""
if [ "${1:-}" = "--dev" ]; then extra="[dev]"; fi
if [ -n "$extra" ] && ! command -v chromium >/dev/null 2>&1; then
  # the browser tests of `kb serve` drive Debian's Chromium (Playwright's own download needs the web)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kb setup: installing chromium for the browser tests (apt-get)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "kb setup: no chromium, so the browser tests will be skipped (sudo apt-get install chromium)" >&2
  fi
fi
stamp=".venv/.kb-installed${extra}"
want="$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/kb ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "kb setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
# pip's own noise (a local index notice, setuptools' editable-install banner) is not news to a user
quiet='^WARNING: Location|BuildBackendWarning|^[[:space:]]*!!$|\*{20,}|Please be careful with folders|name as your package|with strategy, WheelFile|^[[:space:]]*$'
pip() { .venv/bin/python -m pip -q --disable-pip-version-check "$@" 2> >(grep -Ev "$quiet" >&2); }
echo "kb setup: installing (first time takes a few minutes)" >&2
pip install --upgrade pip                 # pip 23's resolver trips over lxml extras
pip install "torch==2.13.0"               # the CPU build; unpinned torch pulls a multi-GB CUDA build
pip install -e ".${extra}"
echo "$want" > "$stamp"
