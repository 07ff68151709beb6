#!/usr/bin/env bash
# Set up a fresh machine for this project: a virtual environment with the Python
# packages, and the map's browser assets from the npm registry (served locally, so maps
# work without internet). Usage: scripts/setup.sh [--dev]   (--dev adds test tools)
#
# Once a set-up has succeeded it is not repeated: a stamp in .venv records a hash of the
# requirements files and pyproject.toml, and while they are unchanged (and the map assets
# are complete) this script touches neither pip nor npm, so the dashboard starts offline.
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

# What the Python packages were installed from: both requirements files and pyproject.
inputs_hash=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
stamp_for() { echo ".venv/.setup-$1.sha256"; }
installed() {
    # The dev set includes requirements.txt, so a dev install satisfies a plain one.
    local file
    for file in "$requirements" requirements-dev.txt; do
        [ "$(cat "$(stamp_for "$file")" 2>/dev/null)" = "$inputs_hash" ] && return 0
    done
    return 1
}

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi
if ! installed; then
    .venv/bin/python -m pip install -q -r "$requirements"
    .venv/bin/python -m pip install -q --no-deps -e .
    echo "$inputs_hash" >"$(stamp_for "$requirements")"
fi

if ! .venv/bin/python scripts/vendor_assets.py --check >/dev/null 2>&1; then
    command -v npm >/dev/null || apt_install npm
    .venv/bin/python scripts/vendor_assets.py
fi

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
