#!/usr/bin/env bash
# Run the project's tests: a Docker engine and the locally built emulator images are set up
# first when they are missing (Debian, as root), then the package is installed with its test
# extras in .venv and pytest runs. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/start-dockerd.sh
bash scripts/build-test-images.sh

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# uv resolves the test extras in seconds; pip's resolver backtracks for minutes over the
# botocore versions that aiobotocore pins.
.venv/bin/python -m pip install -q uv
.venv/bin/python -m uv pip install --python .venv/bin/python -q -e ".[test]"

# Nothing in the test suite may leave this machine: a dead proxy catches what is not local.
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
export http_proxy=$HTTP_PROXY https_proxy=$HTTPS_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
# A basetemp of its own, outside the repository (the pytest runs that the tests start must not
# find this project's pyproject.toml): pytest's numbered temp dirs in /tmp are shared with
# those runs and with any other run on the machine, and get rotated away.
basetemp=$(mktemp -d -t pytest-localstack-tests.XXXXXX)
exec .venv/bin/python -m pytest --basetemp="$basetemp" "$@"
