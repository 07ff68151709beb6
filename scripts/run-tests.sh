#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: lint, format check, unit, page,
# notebook and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
