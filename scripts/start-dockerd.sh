#!/usr/bin/env bash
# Start a local Docker engine for the test suite (idempotent).
#
# - Installs docker.io and mmdebstrap with apt-get when `dockerd` / `mmdebstrap`
#   are missing (Debian bookworm, as root).
# - Turns IP forwarding off (`sysctl -w net.ipv4.ip_forward=0`) and starts
#   `dockerd --iptables=false --ip-masq=false --ip-forward=false --dns 127.0.0.1`
#   with an outbound proxy of http://127.0.0.1:9 in its environment, so that any
#   accidental image pull fails at once, locally. Containers run on the default
#   bridge (ports published on 127.0.0.1 by Docker's userland proxy: the path
#   most users get) or on the host network; from a bridge they reach the host
#   and nothing beyond it, and their DNS fails at once.
# - Warns when an engine already runs without a bridge network (started with
#   --bridge=none): the bridge half of the integration tests cannot pass on it.
# - Waits (bounded) until `docker info` works; on failure prints the log tail.
#
# Environment:
#   DOCKERD_LOG            dockerd log file (default /tmp/dockerd.log)
#   DOCKERD_START_TIMEOUT  seconds to wait for the engine (default 60)
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
TIMEOUT="${DOCKERD_START_TIMEOUT:-60}"

log() { printf '[start-dockerd] %s\n' "$*" >&2; }

# A docker client that is not the engine's own (e.g. /usr/local/bin/docker) may
# shadow /usr/bin/docker; any client works as long as it negotiates an API
# version with the engine. Fall back to the engine's own client otherwise.
pick_client() {
    local c
    for c in "$(command -v docker 2>/dev/null || true)" /usr/bin/docker; do
        [ -n "$c" ] && [ -x "$c" ] || continue
        if "$c" version >/dev/null 2>&1; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

warn_without_bridge() {
    if ! "$1" network inspect bridge >/dev/null 2>&1; then
        log "warning: this engine has no bridge network (started with --bridge=none?);"
        log "the tests of the default network path will fail; restart it as this script does"
    fi
}

if client="$(pick_client)" && "$client" info >/dev/null 2>&1; then
    log "docker engine already running ($client)"
    warn_without_bridge "$client"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    log "must run as root to start dockerd"
    exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

if pgrep -x dockerd >/dev/null 2>&1; then
    log "a dockerd process exists but does not answer yet; waiting for it"
else
    log "starting dockerd (log: $DOCKERD_LOG)"
    # Clear a stale pid file left by an engine that died uncleanly.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    # Containers on the bridge reach the host only: no forwarding, no NAT, no DNS server.
    sysctl -w net.ipv4.ip_forward=0 >/dev/null
    if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 0 ]; then
        log "could not turn IP forwarding off; refusing to start a bridge that routes outward"
        exit 1
    fi
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        nohup dockerd --iptables=false --ip-masq=false --ip-forward=false --dns 127.0.0.1 \
        >>"$DOCKERD_LOG" 2>&1 </dev/null &
    disown || true
fi

deadline=$((SECONDS + TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
    if client="$(pick_client)" && "$client" info >/dev/null 2>&1; then
        log "docker engine ready after ${SECONDS}s"
        warn_without_bridge "$client"
        if [ "$client" != "$(command -v docker 2>/dev/null || true)" ]; then
            log "note: the 'docker' on PATH cannot talk to this engine; use $client"
        fi
        "$client" version --format 'client {{.Client.Version}} (API {{.Client.APIVersion}}), server {{.Server.Version}} (API {{.Server.APIVersion}})' >&2 || true
        exit 0
    fi
    sleep 1
done

log "docker engine did not become ready within ${TIMEOUT}s; last lines of $DOCKERD_LOG:"
tail -n 40 "$DOCKERD_LOG" >&2 || true
exit 1
