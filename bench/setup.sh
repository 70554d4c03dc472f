#!/usr/bin/env bash
# Benchmark prerequisites (idempotent): Debian's chromium (headless page timing), wrk (the
# reference load generator) and valgrind (instruction counts, figure 2c). Called by
# `make bench` after `make bootstrap services`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(chromium wrk fonts-dejavu-core valgrind)
missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt_args=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
    if [ "$(id -u)" -ne 0 ]; then
        echo "bench/setup.sh: missing Debian packages: ${missing[*]}" >&2
        echo "    sudo apt-get update && sudo apt-get install ${apt_args[*]} ${missing[*]}" >&2
        exit 1
    fi
    echo "bench/setup.sh: installing ${missing[*]}"
    apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null
    apt-get install "${apt_args[@]}" "${missing[@]}" </dev/null
fi
command -v chromium >/dev/null || { echo "bench/setup.sh: chromium not on PATH" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/setup.sh: wrk not on PATH" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench/setup.sh: valgrind not on PATH" >&2; exit 1; }
