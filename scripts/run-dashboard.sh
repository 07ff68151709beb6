#!/usr/bin/env bash
# Set up (if needed) and run the dashboard on the embedded data, then open
# http://localhost:8501 in a browser (the server is headless: it opens no browser itself).
# Listens on this machine only; to serve on a network pass e.g.
# --server.address 0.0.0.0 (see README.md, "Serving on a network").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# First start only: seed the SYNTHETIC demo partnership so a newcomer can sign in. A real
# partnership (DATABASE_URL, or an existing database in the data folder) is left alone.
if [ -z "${DATABASE_URL:-}" ] && [ ! -f "${ASB_DATA_DIR:-var}/partners.db" ]; then
    .venv/bin/python -m geo partners demo
fi
exec .venv/bin/python scripts/serve.py --server.address "${DASHBOARD_ADDRESS:-127.0.0.1}" "$@"
