"""Shared machines: another Unix user and another PID namespace cannot turn our clean-up against us.

Real users (``useradd``), a real PID namespace (``unshare --pid --fork --mount-proc``), real
processes and the real Docker engine. These run as root (CI does): they make a second user and
a namespace, which needs root.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack._processes import boot_id, command_line, namespace_id, start_time
from pytest_localstack.config import Settings
from pytest_localstack.emulators import MOTO
from pytest_localstack.runtimes import Endpoint, make_labels
from pytest_localstack.runtimes.docker import DockerRuntime, sweep_orphans
from pytest_localstack.runtimes.process import ProcessRuntime
from pytest_localstack.sharing.sweep import sweep_stale_runs
from tests.conftest import require, unique

OTHER_USER = "plt-other"
RUN_PREFIX = "pytest-localstack-run-"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def other_user() -> pwd.struct_passwd:
    """A second Unix user, made once (the name is fixed, so that reruns reuse it)."""
    require(os.getuid() == 0, "these tests make a second user and a PID namespace: run as root")
    require(shutil.which("useradd") is not None, "useradd is missing")
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", OTHER_USER],
            check=True,
        )
    return pwd.getpwnam(OTHER_USER)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary directory shared by every user, like /tmp (world-writable, sticky)."""
    path = Path(tempfile.mkdtemp(prefix="plt-shared-", dir="/tmp"))
    os.chmod(path, 0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_user(user: str, script: str, stdin: str = "", **env: str) -> None:
    """Run a shell script as ``user``."""
    subprocess.run(
        [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            *(f"{k}={v}" for k, v in env.items()),
            "sh",
            "-c",
            script,
        ],
        input=stdin.encode(),
        check=True,
        timeout=30,
    )


def dead_token() -> str:
    """The owner token of a process of this namespace and boot that has exited."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    token = f"{process.pid}:{start_time(process.pid)}:{namespace_id()}:{boot_id()}"
    process.communicate(b"")
    return token


def container_exists(client: Any, container_id: str) -> bool:
    import docker.errors

    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return False
    return True


def process_runs(endpoint: Endpoint) -> bool:
    return start_time(int(endpoint.handle)) == endpoint.started


INNER_TEST = textwrap.dedent(
    """
    import json, os, time
    from pathlib import Path

    def test_hold(localstack, request):
        from pytest_localstack.fixtures import COORDINATOR_KEY

        coordinator = request.config.stash[COORDINATOR_KEY]
        Path(os.environ["PLT_READY"]).write_text(json.dumps({
            "handle": localstack.endpoint.handle,
            "run_dir": str(coordinator.run_dir),
            "owner": coordinator.owner,
        }))
        deadline = time.monotonic() + 120
        while not Path(os.environ["PLT_GO"]).exists():
            assert time.monotonic() < deadline, "nobody said go"
            time.sleep(0.1)
        client = localstack.botocore.client("s3")
        client.create_bucket(Bucket="still-here")
        assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["still-here"]
    """
)

ONE_TEST = "def test_one(localstack):\n    assert localstack.endpoint.url\n"


def pytest_command(directory: Path, moto_image: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", str(directory), "-q", "-p", "no:cacheprovider",
        "-p", "no:randomly", "--rootdir", str(directory),
        "--localstack-engine=docker", "--localstack-emulator=moto",
        f"--localstack-image={moto_image}", "--localstack-network=host", "--localstack-pull=false",
        *extra,
    ]  # fmt: skip


def write_tests(directory: Path, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "test_inner.py").write_text(text)
    return directory


def run_pytest(directory: Path, moto_image: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """A whole run in this namespace: it sweeps stale runs and orphan containers as it starts."""
    return subprocess.run(
        pytest_command(directory, moto_image),
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=180,
    )


# -- (a) another user's planted run ---------------------------------------------------------


@pytest.fixture
def our_things(docker_client: Any, moto_image: str, shared_tmp: Path) -> Iterator[dict[str, Any]]:
    """A container, a moto server process and a file of ours, all live."""
    owner = f"{os.getpid()}:{start_time(os.getpid())}:{namespace_id()}:{boot_id()}"
    labels = make_labels(unique("ours"), owner)
    settings = Settings(
        engine="docker", emulator="moto", image=moto_image, network="host", pull=False,
        start_timeout=60,
    )  # fmt: skip
    docker_runtime, process_runtime = DockerRuntime(), ProcessRuntime()
    container = docker_runtime.start(settings, MOTO, labels)
    process = process_runtime.start(Settings(engine="process", start_timeout=60), MOTO, labels)
    precious = shared_tmp / "precious.txt"
    precious.write_text("ours")
    try:
        yield {"container": container, "process": process, "file": precious}
    finally:
        docker_runtime.stop(container, 5)
        process_runtime.stop(process, 5)


def plant_dead_run(user: str, directory: Path, things: dict[str, Any]) -> Path:
    """As ``user``: a run directory whose owner is dead and whose records name our things."""
    process: Endpoint = things["process"]
    records = [
        things["container"],
        process,
        Endpoint("", "moto", "", "process", handle=process.handle, started=process.started,
                 log_path=str(things["file"])),
        Endpoint("", "moto", "", "process", handle=str(os.getpid()),
                 log_path=process.log_path),
    ]  # fmt: skip
    run_dir = directory / f"{RUN_PREFIX}planted"
    as_user(
        user,
        'mkdir -p "$RUN" && printf %s "$OWNER" > "$RUN/owner" && cat > "$RUN/spawned.jsonl" '
        '&& cp "$RUN/spawned.jsonl" "$RUN/planted.endpoint.json"',
        stdin="".join(record.to_json() + "\n" for record in records),
        RUN=str(run_dir),
        OWNER=dead_token(),
    )
    return run_dir


def assert_all_there(docker_client: Any, things: dict[str, Any], planted: list[Path]) -> None:
    assert container_exists(docker_client, things["container"].handle)
    assert process_runs(things["process"])
    assert Path(things["process"].log_path).exists()
    assert things["file"].read_text() == "ours"
    for run_dir in planted:
        assert (run_dir / "spawned.jsonl").exists(), f"{run_dir} was swept"


def test_another_users_dead_run_is_left_alone(
    other_user: pwd.struct_passwd,
    shared_tmp: Path,
    our_things: dict[str, Any],
    docker_client: Any,
    moto_image: str,
    tmp_path: Path,
) -> None:
    """Planted where the other user may write (their own state directory and the shared temp
    directory itself), naming our container, our process, its log and another file of ours."""
    theirs = shared_tmp / f"pytest-localstack-{other_user.pw_uid}"
    as_user(OTHER_USER, 'mkdir -m 700 "$D"', D=str(theirs))
    planted = [plant_dead_run(OTHER_USER, theirs, our_things)]
    planted.append(plant_dead_run(OTHER_USER, shared_tmp, our_things))  # where runs used to be

    # Told to look there, the sweep still reads nothing that is not ours.
    assert sweep_stale_runs(theirs) == []
    assert sweep_stale_runs(shared_tmp) == []
    # A whole run of ours in the same temporary directory sweeps as it starts.
    result = run_pytest(write_tests(tmp_path / "ours", ONE_TEST), moto_image, shared_tmp)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_all_there(docker_client, our_things, planted)


@pytest.mark.parametrize("how", ["directory", "symlink"])
def test_a_state_directory_planted_by_another_user_is_refused(
    other_user: pwd.struct_passwd,
    shared_tmp: Path,
    our_things: dict[str, Any],
    docker_client: Any,
    moto_image: str,
    tmp_path: Path,
    how: str,
) -> None:
    """The other user makes our state directory before we do, with a dead run in it."""
    ours = shared_tmp / f"pytest-localstack-{os.getuid()}"
    theirs = shared_tmp / "theirs"
    as_user(OTHER_USER, 'mkdir -m 700 "$D"', D=str(theirs if how == "symlink" else ours))
    if how == "symlink":
        as_user(OTHER_USER, 'ln -s "$T" "$L"', T=str(theirs), L=str(ours))
    planted = plant_dead_run(OTHER_USER, theirs if how == "symlink" else ours, our_things)

    result = run_pytest(write_tests(tmp_path / "ours", ONE_TEST), moto_image, shared_tmp)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"refusing to use {ours} for pytest-localstack's state" in output
    assert "set TMPDIR to a directory of your own" in output
    assert_all_there(docker_client, our_things, [planted])


# -- (b) a live run in another PID namespace --------------------------------------------------


@pytest.fixture
def namespace_run(shared_tmp: Path, moto_image: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A run in its own PID namespace, sharing the temporary directory and the Docker socket,
    holding an emulator until told to go on."""
    require(shutil.which("unshare") is not None, "unshare is missing")
    ready, go = tmp_path / "ready.json", tmp_path / "go"
    directory = write_tests(tmp_path / "inner", INNER_TEST)
    process = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc",
         # It stops its emulator itself: as pid 1 of its namespace, its end kills its watchdog.
         *pytest_command(directory, moto_image, "--localstack-wait-stop")],
        env={**os.environ, "TMPDIR": str(shared_tmp), "PLT_READY": str(ready), "PLT_GO": str(go)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the run in the namespace did not start:\n" + process.communicate()[0])
            time.sleep(0.2)
        time.sleep(0.1)  # the file is written in one go; let the writer close it
        info = json.loads(ready.read_text())
        info["go"], info["process"] = go, process
        yield info
    finally:
        go.touch()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_live_run_in_another_namespace_survives_our_sweeps(
    namespace_run: dict[str, Any], shared_tmp: Path, docker_client: Any, moto_image: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    run_dir, container_id = Path(namespace_run["run_dir"]), namespace_run["handle"]
    pid, _, namespace, boot = namespace_run["owner"].split(":")
    assert namespace != namespace_id(), "the inner run is in a PID namespace of its own"
    assert boot == boot_id()
    assert int(pid) < 100, "its pid means another process here"  # 1 or 2 in a new namespace

    assert sweep_stale_runs(run_dir.parent) == []
    assert container_id not in sweep_orphans(docker_client)
    assert container_exists(docker_client, container_id)
    result = run_pytest(write_tests(tmp_path / "ours", ONE_TEST), moto_image, shared_tmp)
    assert result.returncode == 0, result.stdout + result.stderr

    assert container_exists(docker_client, container_id)
    assert (run_dir / "owner").exists()
    namespace_run["go"].touch()
    output = namespace_run["process"].communicate(timeout=60)[0]
    assert namespace_run["process"].returncode == 0, output  # its emulator still answered
    assert not container_exists(docker_client, container_id)  # and it cleaned up itself


# -- (c) our own dead run --------------------------------------------------------------------


def test_our_own_dead_run_is_swept(
    shared_tmp: Path, docker_client: Any, moto_image: str, tmp_path: Path
) -> None:
    """Same namespace and boot, owner and watchdog killed: the next run removes it all."""
    ready, go = tmp_path / "ready.json", tmp_path / "go"
    process = subprocess.Popen(
        pytest_command(write_tests(tmp_path / "inner", INNER_TEST), moto_image),
        env={**os.environ, "TMPDIR": str(shared_tmp), "PLT_READY": str(ready), "PLT_GO": str(go)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, "the run ended before it was ready"
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.2)
        time.sleep(0.1)
        info = json.loads(ready.read_text())
        run_dir, container_id = Path(info["run_dir"]), info["handle"]
        watchdog = int((run_dir / "watchdog.pid").read_text())
        assert str(run_dir) in command_line(watchdog)  # it is the run's watchdog: ours to kill
        os.kill(watchdog, signal.SIGKILL)
        process.kill()
        process.wait(10)
        assert container_exists(docker_client, container_id)

        result = run_pytest(write_tests(tmp_path / "ours", ONE_TEST), moto_image, shared_tmp)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not container_exists(docker_client, container_id)
        assert not run_dir.exists()
    finally:
        go.touch()
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if ready.exists():  # what the sweep should have removed, if it did not
            leftover = json.loads(ready.read_text())["handle"]
            if container_exists(docker_client, leftover):
                docker_client.containers.get(leftover).remove(force=True)
