#!/usr/bin/env bash
# Build the emulator images the integration tests run, without any container
# registry (only Debian's package mirror and PyPI are needed).
#
#   pytest-localstack-test/moto:latest        moto server (Debian bookworm, Python 3.11);
#                                             the interface of the official motoserver/moto image
#   pytest-localstack-test/localstack:latest  LocalStack from PyPI's localstack-core (Debian trixie,
#                                             Python 3.13); the interface of localstack/localstack
#
# How: `mmdebstrap --variant=extract` unpacks a minimal Debian root filesystem
# (python3, dash and what they depend on; no apt), uv (run inside that root
# with chroot, so it resolves, builds and byte-compiles for the image's own
# Python; pip backtracks for many minutes on localstack-core's tree) installs
# the emulator with `--target /opt/<name>`, and the tree is streamed into
# `docker import` with the image config given as --change lines.
#
# Offline by construction: the images carry HTTP(S)_PROXY=http://127.0.0.1:9
# (NO_PROXY=127.0.0.1,localhost), so an accidental download fails at once, and
# an /etc/nsswitch.conf with `hosts: files`, so they never send a DNS query.
#
# Usage: build-test-images.sh [--force] [moto] [localstack]
#   With no image names both are built. An image whose tag already exists is
#   skipped unless --force is given.
#
# Environment (all optional):
#   MOTO_IMAGE, LOCALSTACK_IMAGE   tags (defaults above)
#   MOTO_REQUIREMENTS              pip requirement(s) for moto, space separated
#                                  (default "moto[server]")
#   LOCALSTACK_REQUIREMENTS        (default "localstack-core[runtime]==2026.3.0 cbor2<6
#                                  pyopenssl<26 service_identity")
#   DEBIAN_MIRROR                  (default http://deb.debian.org/debian)
#   UV                             path to a uv binary (default: `uv` on PATH, else
#                                  installed from PyPI into a temporary directory)
#   DOCKER                         docker client (default: docker)
#
# Requires root (chroot, docker). Starts the engine with start-dockerd.sh
# (next to this script) when `docker info` fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

MOTO_IMAGE="${MOTO_IMAGE:-pytest-localstack-test/moto:latest}"
LOCALSTACK_IMAGE="${LOCALSTACK_IMAGE:-pytest-localstack-test/localstack:latest}"
MOTO_REQUIREMENTS="${MOTO_REQUIREMENTS:-moto[server]}"
LOCALSTACK_REQUIREMENTS="${LOCALSTACK_REQUIREMENTS:-localstack-core[runtime]==2026.3.0 cbor2<6 pyopenssl<26 service_identity}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DOCKER="${DOCKER:-docker}"

# Outbound proxy baked into the images: any request that would leave the
# machine fails at once, locally, instead of hanging or reaching the internet.
DEAD_PROXY="http://127.0.0.1:9"
NO_PROXY_LIST="127.0.0.1,localhost"
IMAGE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf '[build-test-images] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

force=0
targets=()
for arg in "$@"; do
    case "$arg" in
        --force|-f) force=1 ;;
        moto|localstack) targets+=("$arg") ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $arg" ;;
    esac
done
[ "${#targets[@]}" -gt 0 ] || targets=(moto localstack)

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap, chroot and docker need it)"
export PATH="$PATH:/usr/sbin:/sbin"

# --- prerequisites ----------------------------------------------------------

if ! "$DOCKER" info >/dev/null 2>&1; then
    log "docker engine not reachable; running start-dockerd.sh"
    "$HERE/start-dockerd.sh"
fi
if ! command -v mmdebstrap >/dev/null 2>&1; then
    log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pytest-localstack-images.XXXXXX")"
cleanup() {
    # Never delete through a mount point that something left behind.
    if grep -q " $WORK/" /proc/mounts 2>/dev/null; then
        log "warning: mounts remain under $WORK; not deleting it"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# uv resolves localstack-core's dependency tree in seconds, where pip
# backtracks for many minutes. A uv binary from the host runs inside the chroot.
UV_BIN=""
get_uv() {
    [ -z "$UV_BIN" ] || return 0
    if [ -n "${UV:-}" ]; then
        UV_BIN="$UV"
    elif command -v uv >/dev/null 2>&1; then
        UV_BIN="$(command -v uv)"
    else
        local py
        py="$(command -v python3 || true)"
        [ -n "$py" ] || die "need python3 with pip on the host to fetch uv (or set UV=/path/to/uv)"
        log "fetching uv from PyPI into $WORK/uv"
        "$py" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
            --target "$WORK/uv" uv >"$WORK/uv-install.log" 2>&1 \
            || { cat "$WORK/uv-install.log" >&2; die "pip install uv failed"; }
        UV_BIN="$WORK/uv/bin/uv"
    fi
    [ -x "$UV_BIN" ] || die "uv not executable: $UV_BIN"
}

# Run a command inside the root filesystem with a clean environment (the
# host's PIP_*/PYTHON* settings must not leak in); network proxies, if the
# host needs them to reach PyPI, are passed through.
in_root() {
    local root="$1"; shift
    local envs=(HOME=/root "PATH=$IMAGE_PATH" LANG=C.UTF-8
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
        UV_CACHE_DIR=/tmp/uv-cache UV_NO_PROGRESS=1 UV_PYTHON_DOWNLOADS=never)
    local v
    for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY \
             UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL UV_INDEX; do
        [ -z "${!v:-}" ] || envs+=("$v=${!v}")
    done
    if [ -n "${PIP_INDEX_URL:-}" ] && [ -z "${UV_DEFAULT_INDEX:-}${UV_INDEX_URL:-}" ]; then
        envs+=("UV_DEFAULT_INDEX=$PIP_INDEX_URL")
    fi
    env -i "${envs[@]}" chroot "$root" "$@"
}

# make_rootfs NAME SUITE PACKAGES: unpack a minimal Debian tree into $WORK/NAME.
make_rootfs() {
    local name="$1" suite="$2" include="$3" root="$WORK/$1"
    log "$name: mmdebstrap --variant=extract $suite ($include)"
    # base-files provides the merged-/usr symlinks (/bin, /lib, /lib64) that
    # trixie's extract variant does not create by itself.
    if ! mmdebstrap --mode=root --variant=extract --include="base-files,netbase,$include" \
            "$suite" "$root" "$DEBIAN_MIRROR" >"$WORK/$name-mmdebstrap.log" 2>&1; then
        tail -n 30 "$WORK/$name-mmdebstrap.log" >&2
        die "$name: mmdebstrap failed"
    fi
    # Minimal account database (extract runs no maintainer scripts).
    [ -s "$root/etc/passwd" ] || printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
    [ -s "$root/etc/group" ] || printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    mkdir -p "$root/root" "$root/tmp" "$root/proc" "$root/sys" "$root/etc/ssl/certs"
    chmod 1777 "$root/tmp"
    # The host's CA bundle and resolver, for the build-time download only.
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    in_root "$root" /usr/bin/python3 -c 'import sys, ssl; print(sys.version.split()[0])' >/dev/null \
        || die "$name: python3 does not run in the unpacked root filesystem"
}

# uv_install NAME TARGET REQUIREMENTS...: install into $WORK/NAME/TARGET.
uv_install() {
    local name="$1" target="$2" root="$WORK/$1"; shift 2
    get_uv
    cp "$UV_BIN" "$root/tmp/uv"
    log "$name: uv pip install --target $target $*"
    if ! in_root "$root" /tmp/uv pip install --quiet --python /usr/bin/python3 \
            --target "$target" --compile-bytecode "$@" >"$WORK/$name-uv.log" 2>&1; then
        tail -n 40 "$WORK/$name-uv.log" >&2
        die "$name: uv pip install failed"
    fi
}

# finish_rootfs NAME: drop build-only files.
finish_rootfs() {
    local root="$WORK/$1"
    rm -rf "$root/tmp/uv" "$root/tmp/uv-cache" "$root/root/.cache" \
        "$root/etc/ssl/certs/ca-certificates.crt" "$root/var/cache/apt/"*.bin
    rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
    : >"$root/etc/resolv.conf"
    # Name lookups from files only (/etc/hosts, which docker provides): the
    # emulator never sends a DNS query, e.g. LocalStack's probe for
    # s3.localhost.localstack.cloud, which would otherwise go to the host's resolver.
    printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'hosts: files' \
        'networks: files' 'protocols: files' 'services: files' >"$root/etc/nsswitch.conf"
}

# import_image NAME TAG --change ...: stream the tree into `docker import`.
import_image() {
    local name="$1" tag="$2" root="$WORK/$1"; shift 2
    local previous new
    previous="$("$DOCKER" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    log "$name: docker import -> $tag"
    new="$(tar --numeric-owner --xattrs -C "$root" -cf - . | "$DOCKER" import "$@" - "$tag")"
    # Drop the image this tag pointed to before (--force), unless a container uses it.
    if [ -n "$previous" ] && [ "$previous" != "$new" ]; then
        "$DOCKER" image rm "$previous" >/dev/null 2>&1 || true
    fi
}

proxy_changes=(
    --change "ENV HTTP_PROXY=$DEAD_PROXY" --change "ENV HTTPS_PROXY=$DEAD_PROXY"
    --change "ENV http_proxy=$DEAD_PROXY" --change "ENV https_proxy=$DEAD_PROXY"
    --change "ENV NO_PROXY=$NO_PROXY_LIST" --change "ENV no_proxy=$NO_PROXY_LIST"
)

# --- moto ---------------------------------------------------------------------

build_moto() {
    local root="$WORK/moto"
    make_rootfs moto bookworm python3,dash
    # shellcheck disable=SC2086  # word splitting of the requirement list is wanted
    uv_install moto /opt/moto $MOTO_REQUIREMENTS
    mkdir -p "$root/usr/local/bin"
    # Same launcher as the official image's /usr/local/bin/moto_server. moto's
    # argparse defaults the port to $MOTO_PORT or 5000; arguments appended by
    # `docker run IMAGE -H 127.0.0.1 -p 12345` win (argparse: last one wins).
    cat >"$root/usr/local/bin/moto_server" <<'PY'
#!/usr/bin/python3
import sys

from moto.server import main

if __name__ == "__main__":
    sys.exit(main())
PY
    chmod 755 "$root/usr/local/bin/moto_server"
    local version
    version="$(in_root "$root" /usr/bin/python3 -c \
        'import sys; sys.path.insert(0, "/opt/moto"); import importlib.metadata as m; print(m.version("moto"))')"
    finish_rootfs moto
    import_image moto "$MOTO_IMAGE" \
        --change "ENV PATH=$IMAGE_PATH" \
        --change "ENV PYTHONPATH=/opt/moto" \
        --change "ENV PYTHONUNBUFFERED=1" \
        --change "ENV LANG=C.UTF-8" \
        "${proxy_changes[@]}" \
        --change "WORKDIR /" \
        --change "EXPOSE 5000" \
        --change "LABEL org.opencontainers.image.title=pytest-localstack-test-moto" \
        --change "LABEL org.opencontainers.image.version=$version" \
        --change 'ENTRYPOINT ["/usr/local/bin/moto_server", "-H", "0.0.0.0"]'
    log "moto: moto $version"
}

# --- LocalStack -----------------------------------------------------------------

build_localstack() {
    local root="$WORK/localstack"
    # dash, coreutils: LocalStack runs some commands (rm -rf ...) through /bin/sh.
    # libstdc++6: jpype (Step Functions) and grpc are C++ extensions.
    make_rootfs localstack trixie python3,dash,coreutils,libstdc++6
    # shellcheck disable=SC2086
    uv_install localstack /opt/localstack $LOCALSTACK_REQUIREMENTS
    # Filesystem hierarchy of the official image (world-writable, so that the
    # container also runs with --user).
    mkdir -p "$root/var/lib/localstack/logs" "$root/usr/lib/localstack" "$root/tmp/localstack" \
        "$root/opt/code/localstack" "$root/usr/local/bin"
    touch "$root/tmp/localstack/.marker"
    chmod -R 777 "$root/var/lib/localstack" "$root/usr/lib/localstack" "$root/tmp/localstack"
    # Python rendition of the official bin/docker-entrypoint.sh (the image has
    # no shell): strip the LOCALSTACK_ prefix from variables (except
    # LOCALSTACK_HOST*, LOCALSTACK_<digit>...), create the log directory, run
    # the BOOT init stage if /etc/localstack/init/boot.d exists, then exec
    # localstack-supervisor, which runs `python -m localstack.runtime.main`.
    cat >"$root/usr/local/bin/docker-entrypoint.py" <<'PY'
#!/usr/bin/python3
import os
import subprocess
import sys

PREFIX = "LOCALSTACK_"
for key, value in list(os.environ.items()):
    rest = key[len(PREFIX):]
    if key.startswith(PREFIX) and rest and not key.startswith(PREFIX + "HOST") and not rest[0].isdigit():
        os.environ[rest] = value

os.makedirs("/var/lib/localstack/logs", exist_ok=True)

if os.path.isdir("/etc/localstack/init/boot.d"):
    subprocess.run([sys.executable, "-m", "localstack.runtime.init", "BOOT"], check=True)

supervisor = "/opt/localstack/bin/localstack-supervisor"
os.execv(sys.executable, [sys.executable, supervisor, *sys.argv[1:]])
PY
    chmod 755 "$root/usr/local/bin/docker-entrypoint.py"
    # The service catalog that routes a request to its service, built at image build time as
    # the official image does (`python -m localstack.aws.spec`); without it, every new container
    # builds it from all of botocore's service models on its first request (about 2 s).
    in_root "$root" /usr/bin/env PYTHONPATH=/opt/localstack DOCKER_BRIDGE_IP=127.0.0.1 \
        SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 /usr/bin/python3 -m localstack.aws.spec \
        >"$WORK/localstack-catalog.log" 2>&1 \
        || { cat "$WORK/localstack-catalog.log" >&2; die "localstack: building the service catalog failed"; }
    [ -n "$(ls "$root"/usr/lib/localstack/service-catalog-* 2>/dev/null)" ] \
        || die "localstack: no service catalog in /usr/lib/localstack"
    local version
    version="$(in_root "$root" /usr/bin/python3 -c \
        'import sys; sys.path.insert(0, "/opt/localstack"); import importlib.metadata as m; print(m.version("localstack-core"))')"
    finish_rootfs localstack
    # GATEWAY_SERVER=hypercorn: the default (twisted) server ignores the host
    # part of GATEWAY_LISTEN. DNS_ADDRESS=0: no DNS server on port 53.
    # SKIP_SSL_CERT_DOWNLOAD=1 / DISABLE_EVENTS=1: no outbound calls.
    # DOCKER_BRIDGE_IP=127.0.0.1: otherwise, in a container, localstack.config
    # pings 172.17.0.1 and 172.18.0.1 at import time (private addresses).
    import_image localstack "$LOCALSTACK_IMAGE" \
        --change "ENV PATH=/opt/localstack/bin:$IMAGE_PATH" \
        --change "ENV PYTHONPATH=/opt/localstack" \
        --change "ENV PYTHONUNBUFFERED=1" \
        --change "ENV LANG=C.UTF-8" \
        --change "ENV USER=localstack" \
        --change "ENV GATEWAY_SERVER=hypercorn" \
        --change "ENV DISABLE_EVENTS=1" \
        --change "ENV SKIP_SSL_CERT_DOWNLOAD=1" \
        --change "ENV DNS_ADDRESS=0" \
        --change "ENV DOCKER_BRIDGE_IP=127.0.0.1" \
        "${proxy_changes[@]}" \
        --change "WORKDIR /opt/code/localstack" \
        --change "EXPOSE 4566" \
        --change "LABEL org.opencontainers.image.title=pytest-localstack-test-localstack" \
        --change "LABEL org.opencontainers.image.version=$version" \
        --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.py"]'
    log "localstack: localstack-core $version"
}

# --- main -------------------------------------------------------------------------

for target in "${targets[@]}"; do
    case "$target" in
        moto) tag="$MOTO_IMAGE" ;;
        localstack) tag="$LOCALSTACK_IMAGE" ;;
    esac
    if [ "$force" = 0 ] && image_exists "$tag"; then
        log "$target: $tag exists; skipping (use --force to rebuild)"
        continue
    fi
    start=$SECONDS
    "build_$target"
    rm -rf "${WORK:?}/$target"
    log "$target: built $tag in $((SECONDS - start))s"
done
