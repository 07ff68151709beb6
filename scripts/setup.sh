#!/usr/bin/env bash
# Set up a fresh machine for this project: a virtual environment with the Python
# packages, and the map's browser assets from the npm registry (served locally, so maps
# work without internet). Usage: scripts/setup.sh [--dev]   (--dev adds test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
requirements=requirements.txt
[ "${1:-}" = "--dev" ] && requirements=requirements-dev.txt

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    # Debian packages the project needs but pip cannot provide (npm; chromium for tests).
    if command -v apt-get >/dev/null; then
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
    else
        echo "setup: please install $* with your system's package manager" >&2
    fi
}

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r "$requirements"
.venv/bin/python -m pip install -q --no-deps -e .

command -v npm >/dev/null || apt_install npm
.venv/bin/python scripts/vendor_assets.py

if [ "${1:-}" = "--dev" ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi
# poppler-utils (pdftoppm, pdftotext): the PDF tests render pages and read their text back.
if [ "${1:-}" = "--dev" ] && ! command -v pdftoppm >/dev/null; then
    apt_install poppler-utils
fi
# PostgreSQL binaries for the partnership hub's tests; the tests start their own throwaway
# cluster, so no system service is started here.
if [ "${1:-}" = "--dev" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
fi
