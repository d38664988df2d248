#!/usr/bin/env bash
# Property tests at 20x the suite's case count (hypothesis "deep" profile): 30,000 per property.
set -euo pipefail
cd "$(dirname "$0")/.."
HYPOTHESIS_PROFILE=deep exec .venv/bin/python -m pytest -q tests/test_fuzz.py "$@"
