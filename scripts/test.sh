#!/usr/bin/env bash
# Run the project's tests.
#
#   bash scripts/test.sh             the whole matrix, as CI runs it (cells below)
#   bash scripts/test.sh ARGS...     pytest ARGS in .venv against the checkout (quick local runs)
#
# Both first set up a Docker engine and the locally built emulator images when they are missing
# (Debian, as root: scripts/start-dockerd.sh, scripts/build-test-images.sh).
#
# The matrix (docs/guides/ci.md says why it is cut this way):
#   lint      ruff check, ruff format --check, mypy --strict
#   wheel     build the wheel and sdist; the wheel must carry LICENSE and SPDX metadata
#   full      the whole suite (unit + integration, Docker on a bridge and on the host network)
#             on the main Python ($PYTHON, default python3), against the installed wheel
#   py3.10 .. py3.13
#             the unit suite and the integration smoke subset, against the installed wheel
#   lowest    the same on Python 3.10 with the lowest versions pyproject.toml allows
#             (uv pip install --resolution lowest-direct)
#
# Environment:
#   TEST_CELLS   the cells to run, space separated (default: all, in the order above)
#   PYTHON       the main Python (default python3)
# Exits non-zero when any cell fails; the summary at the end gives each cell's closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/start-dockerd.sh
bash scripts/build-test-images.sh
# socat relays the engine's socket to TCP and to a socket of a test's own (tests of finding and
# reaching the engine over other addresses).
if ! command -v socat >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
             --no-install-recommends socat >/dev/null; }
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# uv resolves the test extras in seconds; pip's resolver backtracks for minutes over the
# botocore versions that aiobotocore pins.
.venv/bin/python -m pip install -q uv
uv() { "$root/.venv/bin/python" -m uv "$@"; }
uv pip install --python .venv/bin/python -q -e ".[test]"

# Nothing in the test suite may leave this machine: a dead proxy catches what is not local.
# (Only the tests run with it: building and installing need the package index.)
OFFLINE=(HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
    http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost)

# A basetemp of its own, outside the repository (the pytest runs that the tests start must not
# find this project's pyproject.toml): pytest's numbered temp dirs in /tmp are shared with
# those runs and with any other run on the machine, and get rotated away.
basetemp() { mktemp -d -t pytest-localstack-tests.XXXXXX; }

# pytest PYTHON ARGS...: pytest with SIGINT at its default disposition. A job started with SIGINT
# ignored (the background jobs of some CI runners) would otherwise pass SIG_IGN on to the pytest
# runs that the reliability tests interrupt with Ctrl-C; bash cannot undo an inherited SIG_IGN.
pytest() {
    local python=$1
    shift
    "$python" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[1:]])' "$@"
}

if [ "$#" -gt 0 ]; then
    export "${OFFLINE[@]}"
    pytest .venv/bin/python --basetemp="$(basetemp)" "$@"
    exit
fi

# -- the matrix ---------------------------------------------------------------------------------

# The integration smoke subset for the cells that do not run the whole suite: the README example
# and the classic API on every runtime, and both Docker network paths.
SMOKE=(tests/integration/test_classic_api.py tests/integration/test_network_paths.py)

work=$(mktemp -d -t pytest-localstack-ci.XXXXXX)
dist=$work/dist
declare -a summary=()
failed=0

log() { printf '\n=== %s\n' "$*"; }

# record CELL STATUS LINE: one row of the summary.
record() {
    summary+=("$(printf '%-8s %-4s %s' "$1" "$2" "$3")")
    [ "$2" = ok ] || failed=1
}

# interpreter VERSION: a Python VERSION interpreter (PATH, pyenv, uv's); nothing is downloaded.
interpreter() {
    local version=$1 candidate
    for candidate in "$(command -v "python$version" || true)" \
        "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version".*/bin/python 2>/dev/null | tail -n 1)" \
        "$(uv python find "$version" 2>/dev/null || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] \
            && "$candidate" -c "import sys; assert sys.version.startswith('$version.')" 2>/dev/null; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    echo "[test.sh] no Python $version found (PATH, pyenv, uv); install it (e.g. pyenv install $version)" >&2
    return 1
}

# pytest_cell CELL VENV ARGS...: run pytest from the checkout's tests/ against the wheel
# installed in VENV, with the checkout's src/ nowhere on the path; record the closing line.
pytest_cell() {
    local cell=$1 venv=$2 output status
    shift 2
    output=$work/$cell.log
    log "$cell: $("$venv/bin/python" --version) pytest $*"
    set +e
    (
        export "${OFFLINE[@]}" PYTEST_LOCALSTACK_TEST_INSTALLED=wheel
        pytest "$venv/bin/python" --basetemp="$(basetemp)" -p no:cacheprovider "$@"
    ) 2>&1 | tee "$output"
    status=${PIPESTATUS[0]}
    set -e
    record "$cell" "$([ "$status" = 0 ] && echo ok || echo FAIL)" \
        "$(grep -E '^=+ .* in [0-9.]+s' "$output" | tail -n 1 | tr -d '=' | sed 's/^ *//')"
}

# wheel_venv CELL PYTHON: a fresh venv with the wheel and its test extras; prints its path.
wheel_venv() {
    local cell=$1 python=$2 venv=$work/venv-$1 wheel
    wheel=$(ls "$dist"/*.whl) || return 1
    uv venv -q --python "$python" "$venv" >&2 || return 1
    if [ "$cell" = lowest ]; then
        # The lowest versions of the direct requirements (pyproject.toml's, extras included),
        # then the wheel itself on top of them.
        uv pip install -q --python "$venv/bin/python" --resolution lowest-direct \
            -r pyproject.toml --extra test >&2 || return 1
        uv pip install -q --python "$venv/bin/python" --no-deps "$wheel" >&2 || return 1
        uv pip list --python "$venv/bin/python" 2>/dev/null | grep -iE "$LOWEST_SHOWN" >&2
    else
        uv pip install -q --python "$venv/bin/python" "$wheel[test]" >&2 || return 1
    fi
    printf '%s\n' "$venv"
}

# test_cell CELL PYTHON PYTEST-ARGS...: install, then test; an install that fails fails the cell.
test_cell() {
    local cell=$1 python=$2 venv
    shift 2
    [ -d "$dist" ] || { record "$cell" FAIL "no wheel: run the wheel cell first"; return; }
    if [ -z "$python" ]; then
        record "$cell" FAIL "no Python interpreter found"
    elif venv=$(wheel_venv "$cell" "$python"); then
        pytest_cell "$cell" "$venv" "$@"
    else
        record "$cell" FAIL "installing the wheel and its test extras failed"
    fi
}

#: The distributions whose versions the lowest cell prints.
LOWEST_SHOWN='^(pytest|pytest-xdist|pluggy|docker|requests|urllib3|botocore|boto3|filelock|psutil|moto|aiobotocore|aioboto3|sphinx|myst-parser|furo|awscli|anyio|pytest-timeout) '

cells=${TEST_CELLS:-lint wheel full py3.10 py3.11 py3.12 py3.13 lowest}
start=$SECONDS

for cell in $cells; do
    case $cell in
    lint)
        log "lint: ruff check, ruff format --check, mypy --strict"
        uv pip install --python .venv/bin/python -q ruff mypy types-psutil
        set +e
        {
            .venv/bin/ruff check src tests examples benchmarks docs noxfile.py \
                && .venv/bin/ruff format --check src tests examples benchmarks docs noxfile.py \
                && .venv/bin/mypy --strict
        } >"$work/lint.log" 2>&1
        status=$?
        set -e
        cat "$work/lint.log"
        record lint "$([ "$status" = 0 ] && echo ok || echo FAIL)" "$(tail -n 1 "$work/lint.log")"
        ;;
    wheel)
        log "wheel: build, then check what it carries"
        rm -rf "$dist"
        set +e
        uv build -q --wheel --sdist --out-dir "$dist" . && .venv/bin/python - "$dist" <<'PY'
import sys, zipfile
from email.parser import Parser
from pathlib import Path

wheel = next(Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    names = archive.namelist()
    licenses = [n for n in names if ".dist-info/licenses/" in n and n.endswith("LICENSE")]
    assert licenses, f"{wheel.name} carries no LICENSE: {names}"
    assert "MIT License" in archive.read(licenses[0]).decode()
    metadata = Parser().parsestr(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
assert metadata["License-Expression"] == "MIT", metadata["License-Expression"]
assert metadata.get_all("Project-URL"), "no project URLs"
classifiers = metadata.get_all("Classifier")
for version in ("3.10", "3.11", "3.12", "3.13"):
    assert f"Programming Language :: Python :: {version}" in classifiers, version
assert not any(n.startswith(("tests/", "src/")) for n in names), "test or src files in the wheel"
print(f"{wheel.name}: LICENSE, License-Expression MIT, {len(classifiers)} classifiers")
PY
        status=$?
        set -e
        [ "$status" = 0 ] || rm -rf "$dist"
        record wheel "$([ "$status" = 0 ] && echo ok || echo FAIL)" "$(ls "$dist" 2>/dev/null | tr "\n" " ")"
        ;;
    full)
        test_cell full "$("$python" -c 'import sys; print(sys.executable)')" tests
        ;;
    py3.*)
        test_cell "$cell" "$(interpreter "${cell#py}" || true)" tests/unit "${SMOKE[@]}"
        ;;
    lowest)
        test_cell lowest "$(interpreter 3.10 || true)" tests/unit "${SMOKE[@]}"
        ;;
    *)
        echo "unknown cell: $cell (cells: lint wheel full py3.10 py3.11 py3.12 py3.13 lowest)" >&2
        exit 2
        ;;
    esac
done

log "matrix summary ($((SECONDS - start)) s)"
printf '%s\n' "${summary[@]}"
# One closing line over every pytest cell, so that the totals are the last thing printed.
total() { cat "$work"/*.log 2>/dev/null | grep -E '^=+ .* in [0-9.]+s' | grep -oE "[0-9]+ $1" \
    | awk '{n += $1} END {print n + 0}'; }
echo "matrix: $(total passed) passed, $(($(total failed) + $(total error))) failed, $(total skipped) skipped"
rm -rf "$work"
exit "$failed"
