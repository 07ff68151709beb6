#!/usr/bin/env bash
# Set up (if needed) and run the dashboard on the embedded data, then open
# http://localhost:8501 in a browser (the server is headless: it opens no browser itself).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/serve.py "$@"
