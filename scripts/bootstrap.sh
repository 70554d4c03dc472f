#!/usr/bin/env bash
# Install what the project needs on a Debian 12 machine, then the virtualenv .venv.
#
# * Debian packages: redis-server, docker.io, docker-compose, busybox-static, openssh-server and
#   openssh-client (a real sshd for the host fixture's tests), prometheus and
#   prometheus-alertmanager (the metrics fixture's windows and alerts), chromium, poppler-utils
#   and fonts-dejavu-core (the record page rendered and printed in a real browser) (and postgresql-15
#   when /usr/lib/postgresql/15/bin/pg_ctl is absent; python3-venv when `python3 -m venv` cannot
#   work). As root they are installed with apt-get (`apt-get update` only when something is
#   missing); otherwise the apt command to run is printed and the script exits 1.
# * .venv is created if absent and `pip install -e '.[dev]'` runs only when pyproject.toml (or
#   the Python version, or the checkout's location) changed since the last successful install.
#
# Idempotent, non-interactive, quick when everything is there. Usage: bash scripts/bootstrap.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.deployready-deps"
export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1

say() { echo "bootstrap: $*"; }
die() {
    echo "bootstrap: error: $*" >&2
    exit 1
}

# --- Debian packages ----------------------------------------------------------------------------
packages=(redis-server docker.io docker-compose busybox-static openssh-server openssh-client
    prometheus prometheus-alertmanager chromium poppler-utils fonts-dejavu-core)
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || packages+=(postgresql-15)
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=/path/to/python3.11)"
"$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || packages+=(python3-venv)

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
    apt_args=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
        echo "bootstrap: install them as root, then run this again:" >&2
        echo "    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install ${apt_args[*]} ${missing[*]}" >&2
        exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null
    apt-get install "${apt_args[@]}" "${missing[@]}" </dev/null
fi

# --- virtualenv ---------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

want="$(
    {
        sha256sum pyproject.toml
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        echo "$ROOT"
    } | sha256sum | cut -d' ' -f1
)"
have="$(cat "$STAMP" 2>/dev/null || true)"
installed_here="$(
    "$VENV/bin/python" - 2>/dev/null <<'PY' || true
import importlib.util  # locate the package without importing it
spec = importlib.util.find_spec("pytest_deployready")
print(*(spec.submodule_search_locations or []) if spec else [])
PY
)"
if [ "$want" = "$have" ] && [ "$installed_here" = "$ROOT/pytest_deployready" ]; then
    exit 0
fi
say "installing the project and its dev dependencies into $VENV"
"$VENV/bin/python" -m pip install -q -e '.[dev]' </dev/null
echo "$want" >"$STAMP"
say "done"
