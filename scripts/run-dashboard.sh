#!/usr/bin/env bash
# Set up (if needed) and run the dashboard on the embedded data: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/streamlit run dashboard.py "$@"
