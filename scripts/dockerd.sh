#!/usr/bin/env bash
# Make sure a local Docker engine answers, and that the test image deployready/busybox:local exists.
#
# * If the engine already answers (`docker info`), it is left alone.
# * Otherwise dockerd is started in the background with no bridge, no iptables rules and no
#   masquerading (containers use network_mode: host; traffic stays on 127.0.0.1), logging to
#   /tmp/deployready-dockerd.log, pid in /tmp/deployready-dockerd.pid.
# * The image is imported from a rootfs made of Debian's static busybox: no registry is ever
#   contacted (never `docker pull`).
#
# Idempotent and safe to run concurrently (flock). Usage: bash scripts/dockerd.sh
set -euo pipefail

IMAGE="deployready/busybox:local"
LOG="/tmp/deployready-dockerd.log"
PIDFILE="/tmp/deployready-dockerd.pid"
LOCK="/tmp/deployready-dockerd.lock"
START_TIMEOUT="${DEPLOYREADY_DOCKERD_TIMEOUT:-60}"
BUSYBOX="${DEPLOYREADY_BUSYBOX:-/bin/busybox}"

die() {
    echo "dockerd.sh: error: $*" >&2
    exit 1
}

DOCKER_ERROR=""
engine_answers() {
    local out
    if out="$(timeout 10 docker info 2>&1 >/dev/null)"; then
        return 0
    fi
    DOCKER_ERROR="$(printf '%s\n' "$out" | grep -m1 . || true)"
    return 1
}

command -v docker >/dev/null 2>&1 || die "the docker client is missing: run \`make bootstrap\` (apt-get install docker.io)"

# One run at a time (parallel test workers may call this); skipped where the lock is not ours.
if { exec 9>>"$LOCK"; } 2>/dev/null; then
    flock -w 120 9 || die "another scripts/dockerd.sh holds $LOCK for more than 120 s"
fi

# --- engine -------------------------------------------------------------------------------------
if ! engine_answers; then
    command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run \`make bootstrap\` (apt-get install docker.io)"
    if [ "$(id -u)" -ne 0 ]; then
        die "the Docker engine does not answer (${DOCKER_ERROR:-no answer}); starting dockerd needs root: run \`sudo bash scripts/dockerd.sh\`"
    fi
    running_pid=""
    if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        running_pid="$(cat "$PIDFILE")"
        echo "dockerd.sh: dockerd (pid $running_pid) is running but not answering yet; waiting"
    else
        echo "dockerd.sh: starting dockerd (log: $LOG)"
        # dockerd refuses to start on a stale pidfile of its own.
        rm -f "$PIDFILE"
        nohup dockerd \
            --bridge=none --iptables=false --ip-masq=false \
            --pidfile="$PIDFILE" \
            >>"$LOG" 2>&1 </dev/null 9>&- &
        running_pid=$!
    fi
    deadline=$((SECONDS + START_TIMEOUT))
    until engine_answers; do
        if ! kill -0 "$running_pid" 2>/dev/null; then
            echo "dockerd.sh: dockerd exited; last lines of $LOG:" >&2
            tail -n 30 "$LOG" >&2 || true
            die "dockerd did not start"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "dockerd.sh: last lines of $LOG:" >&2
            tail -n 30 "$LOG" >&2 || true
            die "the Docker engine did not answer within ${START_TIMEOUT} s (dockerd pid $running_pid)"
        fi
        sleep 0.5
    done
    echo "dockerd.sh: Docker engine is up (dockerd pid $running_pid)"
fi

# --- image --------------------------------------------------------------------------------------
if timeout 30 docker image inspect "$IMAGE" >/dev/null 2>&1; then
    exit 0
fi
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing: run \`make bootstrap\` (apt-get install busybox-static)"
"$BUSYBOX" --list >/dev/null 2>&1 || die "$BUSYBOX does not run as a multi-call busybox"

rootfs="$(mktemp -d /tmp/deployready-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,www,root,proc,sys,dev}
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = "busybox" ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'deployready busybox\n' >"$rootfs/www/index.html"

echo "dockerd.sh: importing $IMAGE from $BUSYBOX"
tar -C "$rootfs" -c . | timeout 120 docker import \
    --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
    --change 'CMD ["sh"]' \
    --message "deployready test image from busybox-static" \
    - "$IMAGE" >/dev/null
timeout 30 docker image inspect "$IMAGE" >/dev/null || die "import of $IMAGE failed"
echo "dockerd.sh: image $IMAGE ready"
