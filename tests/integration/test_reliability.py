"""Nothing leaks, nothing hangs: real pytest runs are ended every way a run can end, then counted.

Each test starts an inner ``pytest`` in its own process group (its own session), on the real
Docker engine or the embedded moto server. Its tests write a record (the emulator's container id
or pid, the run id and directory, the labels the emulator carries) and then, for the signal
cases, sleep. The outer test ends the run (a normal end, failures, ``-x``, a broken fixture,
SIGINT to the group as a terminal's Ctrl-C sends it, SIGTERM to the owner, a worker that kills
itself, SIGKILL of the whole process group) and counts what is left until nothing is:

* containers in ``docker ps -a`` labelled with the run id or the owner token;
* processes whose environment carries the run's labels (the moto server) or whose command line
  names the run (the watchdog);
* the run directory (lock, state and pending files) and the moto server's log file.

The measured time to clean is recorded as a test property, and appended as a JSON line to the
file named by ``PYTEST_LOCALSTACK_RELIABILITY_REPORT`` if that is set. Every case must be clean
within :data:`CLEAN_BOUND` seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack._processes import boot_id, is_alive, namespace_id, owner_token, start_time
from pytest_localstack.runtimes import LABEL, LABEL_HOST, LABEL_OWNER, LABEL_RUN
from tests.conftest import require
from tests.integration.conftest import engine_cli_args

pytestmark = pytest.mark.slow

#: Everything a run started must be gone this many seconds after the run ends or is killed.
CLEAN_BOUND = 30.0
#: How long an inner run may take to start its emulator and reach its first record.
READY_BOUND = 120.0
#: How long an inner run may take to exit after SIGINT or SIGTERM.
EXIT_BOUND = 30.0

PRELUDE = """
import json, os, signal, time
import boto3, pytest
from pytest_localstack._processes import owner_token
from pytest_localstack.fixtures import COORDINATOR_KEY


def emulator_labels(endpoint):
    if endpoint.engine == "docker":
        import docker
        client = docker.from_env()
        try:
            return client.containers.get(endpoint.handle).labels
        finally:
            client.close()
    with open(f"/proc/{endpoint.handle}/environ", "rb") as f:
        entries = f.read().split(b"\\0")
    prefix = b"PYTEST_LOCALSTACK_LABEL_"
    pairs = (entry.partition(b"=") for entry in entries)
    return {k[len(prefix):].decode(): v.decode() for k, _, v in pairs if k.startswith(prefix)}


def report(localstack, pytestconfig, **extra):
    boto3.client("sqs").list_queues()  # the emulator answers
    coordinator = pytestconfig.stash[COORDINATOR_KEY]
    record = dict(
        handle=localstack.endpoint.handle,
        engine=localstack.endpoint.engine,
        url=localstack.endpoint.url,
        log_path=localstack.endpoint.log_path,
        run_id=coordinator.run_id,
        run_dir=str(coordinator.run_dir),
        owner=coordinator.owner,
        process=owner_token(),
        worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
        labels=emulator_labels(localstack.endpoint),
        **extra,
    )
    directory = os.environ["INNER_RECORDS"]
    name = f"{os.getpid()}-{time.monotonic_ns()}"
    with open(os.path.join(directory, name + ".tmp"), "w") as f:
        json.dump(record, f)
    os.replace(os.path.join(directory, name + ".tmp"), os.path.join(directory, name + ".json"))
    return record
"""

HOLD = (
    PRELUDE
    + """
@pytest.mark.parametrize("n", range(4))
def test_hold(localstack, pytestconfig, n):
    report(localstack, pytestconfig)
    time.sleep(600)
"""
)


# -- the inner runs -------------------------------------------------------------------------


@dataclasses.dataclass
class Inner:
    """One inner pytest run, in its own process group."""

    process: subprocess.Popen[bytes]
    owner: str
    records_dir: Path
    output_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def records(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.records_dir.glob("*.json")):
            with contextlib.suppress(OSError, ValueError):
                found.append(json.loads(path.read_text()))
        return found

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_for_records(
        self, count: int = 1, workers: int = 1, timeout: float = READY_BOUND
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` records from ``workers`` distinct processes exist."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.records()
            if len(records) >= count and len({r["worker"] for r in records}) >= workers:
                return records
            if self.process.poll() is not None:
                pytest.fail(
                    f"the inner run exited ({self.process.returncode}) before it recorded "
                    f"{count} emulator(s):\n{self.output()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no records after {timeout:g} s:\n{self.output()}")
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the inner run did not exit within {timeout:g} s:\n{self.output()}")

    def outcomes(self) -> dict[str, int]:
        return pytest.RunResult.parse_summary_nouns(self.output().splitlines())


class InnerRuns:
    """Starts inner runs; at the end kills and removes whatever a failed test left behind."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.runs: list[Inner] = []

    def start(
        self, engine: dict[str, Any], source: str, *args: str, env: dict[str, str] | None = None
    ) -> Inner:
        number = len(self.runs)
        directory = self.tmp_path / f"inner-{number}"
        records = directory / "records"
        records.mkdir(parents=True)
        (directory / "test_inner.py").write_text(source)
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "PYTEST_LOCALSTACK_")
            )
        }
        environment.update(env or {})
        environment["INNER_RECORDS"] = str(records)
        output_path = directory / "output.txt"
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        command += [*engine_cli_args(engine), f"--basetemp={directory / 'base'}", *args]
        command.append("test_inner.py")
        with output_path.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=directory,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run = Inner(process, owner_token(process.pid), records, output_path)
        self.runs.append(run)
        return run

    def cleanup(self) -> None:
        for run in self.runs:
            if run.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.pid, signal.SIGKILL)
            run.process.wait(30)
            left = leftovers(run.owner, run.records())
            for item in left:
                item.remove()


@pytest.fixture
def inner_runs(tmp_path: Path) -> Iterator[InnerRuns]:
    runs = InnerRuns(tmp_path)
    try:
        yield runs
    finally:
        runs.cleanup()


# -- counting what is left ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Leftover:
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.detail}".strip()

    def remove(self) -> None:
        if self.kind == "container":
            subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, check=False)
        elif self.kind == "process":
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(self.name), signal.SIGKILL)
        elif self.kind == "run dir":
            shutil.rmtree(self.name, ignore_errors=True)
        else:
            Path(self.name).unlink(missing_ok=True)


def label_env_name(label: str) -> str:
    """The environment variable that carries a label on a process-engine emulator."""
    return "PYTEST_LOCALSTACK_LABEL_" + label.replace(".", "_").replace("-", "_").upper()


def docker_containers(label: str, value: str, kind: str = "label") -> list[str]:
    """``docker ps -a`` filtered by a label (or by id): what Docker's container list shows."""
    if shutil.which("docker") is None:
        return []
    where = f"label={label}={value}" if kind == "label" else f"id={value}"
    result = subprocess.run(
        ["docker", "ps", "-aq", "--no-trunc", "--filter", where],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        return []  # no engine here: nothing of a process-engine run is in it either
    return result.stdout.split()


def labelled_processes(markers: list[bytes]) -> list[Leftover]:
    """Processes whose environment or command line carries one of ``markers``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue
        if any(marker in environ or marker in cmdline.split(b"\0") for marker in markers):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]
            found.append(Leftover("process", proc.name, command))
    return found


def leftovers(owner: str, records: list[dict[str, Any]]) -> list[Leftover]:
    """Everything that the run owned by ``owner`` started and that is still there."""
    run_ids = sorted({r["run_id"] for r in records})
    containers: set[str] = set(docker_containers(LABEL_OWNER, owner))
    for run_id in run_ids:
        containers.update(docker_containers(LABEL_RUN, run_id))
    for record in records:
        if record["engine"] == "docker":
            containers.update(docker_containers("id", record["handle"], kind="id"))
    found = [Leftover("container", c) for c in sorted(containers)]
    markers = [f"{label_env_name(LABEL_OWNER)}={owner}".encode()]
    for run_id in run_ids:
        markers.append(f"{label_env_name(LABEL_RUN)}={run_id}".encode())
        markers.append(run_id.encode())  # the watchdog's last argument
    found += labelled_processes(markers)
    for record in records:
        if record["engine"] == "process" and _is_moto(int(record["handle"])):
            found.append(Leftover("process", record["handle"], "the run's moto server"))
    for run_dir in sorted({r["run_dir"] for r in records}):
        if Path(run_dir).exists():
            files = sorted(p.name for p in Path(run_dir).iterdir())
            found.append(Leftover("run dir", run_dir, ", ".join(files)))
    for log_path in sorted({r["log_path"] for r in records if r["log_path"]}):
        if Path(log_path).exists():
            found.append(Leftover("log file", log_path))
    return sorted(set(found), key=str)


def _is_moto(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"moto.server" in cmdline and bool(start_time(pid))


def time_to_clean(
    owner: str, records: list[dict[str, Any]], since: float, bound: float = CLEAN_BOUND
) -> float:
    """Poll until nothing of the run is left; fail if something still is after ``bound`` s."""
    while True:
        left = leftovers(owner, records)
        elapsed = time.monotonic() - since
        if not left:
            return elapsed
        if elapsed > bound:
            pytest.fail(
                f"{bound:g} s after the end of the run these are still there:\n"
                + "\n".join(f"  {item}" for item in left)
            )
        time.sleep(0.1)


def record_row(
    request: pytest.FixtureRequest, scenario: str, engine: str, seconds: float, found: str = "none"
) -> None:
    row = dict(scenario=scenario, engine=engine, leftovers=found, seconds=round(seconds, 2))
    request.node.user_properties.append(("cleanup", row))
    report = os.environ.get("PYTEST_LOCALSTACK_RELIABILITY_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps(row) + "\n")


def engine_id(engine: dict[str, Any]) -> str:
    if engine["engine"] == "docker":
        return f"docker-{engine['emulator']}"
    return str(engine["engine"])


def check_labels(run: Inner, records: list[dict[str, Any]]) -> None:
    """The emulator carries the run id, the owner's ``pid:starttime:namespace:boot`` and this
    host's name."""
    owner = run.owner  # taken while the inner run was young; check its form
    pid, started, namespace, boot = owner.split(":")
    assert int(pid) == run.pid
    assert started.isdigit()
    assert (namespace, boot) == (namespace_id(), boot_id())
    for record in records:
        labels = record["labels"]
        if record["engine"] == "process":
            labels = {
                name: labels.get(label_env_name(name)[len("PYTEST_LOCALSTACK_LABEL_") :])
                for name in (LABEL, LABEL_RUN, LABEL_OWNER, LABEL_HOST)
            }
        assert labels[LABEL] == "1"
        assert labels[LABEL_RUN] == record["run_id"]
        assert labels[LABEL_OWNER] == owner == record["owner"]
        assert labels[LABEL_HOST] == socket.gethostname()


def docker_engine(engine: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """The docker CLI is what counts containers here; it must be there for Docker engines."""
    if engine["engine"] == "docker":
        request.getfixturevalue("docker_client")
        require(shutil.which("docker") is not None, "the docker CLI is missing")


# -- a run that ends by itself --------------------------------------------------------------

PASSING = (
    PRELUDE
    + """
@pytest.mark.parametrize("n", range(3))
def test_pass(localstack, pytestconfig, n):
    report(localstack, pytestconfig)
"""
)

FAILING = (
    PRELUDE
    + """
def test_pass(localstack, pytestconfig):
    report(localstack, pytestconfig)

def test_assertion(localstack, pytestconfig):
    report(localstack, pytestconfig)
    assert 1 == 2

def test_exception(localstack, pytestconfig):
    report(localstack, pytestconfig)
    raise RuntimeError("boom")
"""
)

EXIT_FIRST = (
    PRELUDE
    + """
def test_fails_first(localstack, pytestconfig):
    report(localstack, pytestconfig)
    assert False, "the first failure ends the run under -x"

def test_never_runs(localstack, pytestconfig):
    time.sleep(600)
"""
)

FIXTURE_ERROR = (
    PRELUDE
    + """
@pytest.fixture
def broken_setup(localstack, pytestconfig):
    report(localstack, pytestconfig)
    raise RuntimeError("a fixture broke in its setup")

@pytest.fixture
def broken_teardown(localstack, pytestconfig):
    report(localstack, pytestconfig)
    yield
    raise RuntimeError("a fixture broke in its teardown")

@pytest.fixture(scope="session")
def broken_session_fixture():
    raise RuntimeError("a session fixture broke")

def test_setup(broken_setup):
    pass

def test_teardown(broken_teardown):
    pass

def test_session(localstack, pytestconfig, broken_session_fixture):
    pass
"""
)

NATURAL_ENDS = {
    "normal end": (PASSING, (), 0, {"passed": 3}),
    "failing tests": (FAILING, (), 1, {"passed": 1, "failed": 2}),
    "-x": (EXIT_FIRST, ("-x",), 1, {"failed": 1}),
    "error in a fixture": (FIXTURE_ERROR, (), 1, {"passed": 1, "errors": 3}),
}


@pytest.mark.engines("docker-moto", "process")
@pytest.mark.parametrize("scenario", list(NATURAL_ENDS))
def test_a_run_that_ends_by_itself_leaves_nothing(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    scenario: str,
    request: pytest.FixtureRequest,
) -> None:
    docker_engine(engine, request)
    source, args, returncode, outcomes = NATURAL_ENDS[scenario]
    run = inner_runs.start(engine, source, *args)
    assert run.wait(READY_BOUND) == returncode, run.output()
    ended = time.monotonic()
    output = run.output()
    assert "INTERNALERROR" not in output
    assert run.outcomes() == outcomes, output
    records = run.records()
    assert records, output
    assert len({r["handle"] for r in records}) == 1
    seconds = time_to_clean(run.owner, records, since=ended)
    record_row(request, scenario, engine_id(engine), seconds)


# -- signals --------------------------------------------------------------------------------


def check_kill(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    request: pytest.FixtureRequest,
    scenario: str,
    sig: signal.Signals,
    group: bool,
    workers: int = 0,
) -> None:
    """Start a run that holds its emulator, send ``sig`` (to the whole process group, as a
    terminal's Ctrl-C does, or to the owner only), and count what is left until nothing is."""
    docker_engine(engine, request)
    run = inner_runs.start(engine, HOLD, *(("-n", str(workers)) if workers else ()))
    records = run.wait_for_records(count=max(1, workers), workers=max(1, workers))
    check_labels(run, records)
    assert len({r["handle"] for r in records}) == 1
    sent = time.monotonic()
    if group:
        os.killpg(run.pid, sig)
    else:
        os.kill(run.pid, sig)
    if sig == signal.SIGKILL:
        run.wait(5)
    else:
        run.wait(EXIT_BOUND)
        output = run.output()
        assert "INTERNALERROR" not in output
        assert "KeyboardInterrupt" in output, output
    seconds = time_to_clean(run.owner, records, since=sent)
    for record in records:  # the workers are gone too
        deadline = time.monotonic() + EXIT_BOUND
        while is_alive(record["process"]):
            assert time.monotonic() < deadline, f"inner pytest {record['process']} still runs"
            time.sleep(0.1)
    record_row(request, scenario, engine_id(engine), seconds)


@pytest.mark.engines("docker-moto", "process")
def test_ctrl_c(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(inner_runs, engine, request, "SIGINT (Ctrl-C)", signal.SIGINT, group=True)


@pytest.mark.engines("process")
def test_ctrl_c_with_workers(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(
        inner_runs, engine, request, "SIGINT (Ctrl-C), -n 2", signal.SIGINT, group=True, workers=2
    )


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
def test_sigterm(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(inner_runs, engine, request, "SIGTERM to the owner", signal.SIGTERM, group=False)


@pytest.mark.engines("docker-moto")
def test_sigterm_with_workers(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(
        inner_runs,
        engine,
        request,
        "SIGTERM to the owner, -n 2",
        signal.SIGTERM,
        group=False,
        workers=2,
    )


@pytest.mark.engines("process")
def test_sigterm_to_the_group_with_workers(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(
        inner_runs,
        engine,
        request,
        "SIGTERM to the group, -n 2",
        signal.SIGTERM,
        group=True,
        workers=2,
    )


@pytest.mark.engines("docker-localstack")
def test_sigkill_of_the_tree(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(inner_runs, engine, request, "SIGKILL of the tree", signal.SIGKILL, group=True)


@pytest.mark.engines("docker-moto", "process")
def test_sigkill_of_the_tree_with_workers(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    check_kill(
        inner_runs,
        engine,
        request,
        "SIGKILL of the tree, -n 2",
        signal.SIGKILL,
        group=True,
        workers=2,
    )


CRASHING_WORKER = (
    PRELUDE
    + """
def test_0_crash(localstack, pytestconfig):
    # The only test that asks for the emulator first: its worker starts it, then dies.
    report(localstack, pytestconfig, crashed=True)
    os.kill(os.getpid(), signal.SIGKILL)

@pytest.mark.parametrize("n", range(6))
def test_later(request, pytestconfig, n):
    deadline = time.monotonic() + 60
    while not any(
        json.load(open(os.path.join(os.environ["INNER_RECORDS"], name))).get("crashed")
        for name in os.listdir(os.environ["INNER_RECORDS"]) if name.endswith(".json")
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # the crashed worker is dead by now
    report(request.getfixturevalue("localstack"), pytestconfig)
"""
)


@pytest.mark.engines("docker-moto", "process")
def test_a_crashed_worker_leaves_nothing(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """The worker that started the emulator dies; the others keep using it; the end cleans up."""
    docker_engine(engine, request)
    run = inner_runs.start(engine, CRASHING_WORKER, "-n", "2")
    assert run.wait(READY_BOUND) == 1, run.output()
    ended = time.monotonic()
    output = run.output()
    assert "INTERNALERROR" not in output
    assert "crashed" in output
    assert run.outcomes() == {"passed": 6, "failed": 1}, output
    records = run.records()
    crashed = [r for r in records if r.get("crashed")]
    assert len(crashed) == 1
    assert all(r["process"] != crashed[0]["process"] for r in records if not r.get("crashed"))
    assert len({r["handle"] for r in records}) == 1, "the emulator outlived the crashed worker"
    seconds = time_to_clean(run.owner, records, since=ended)
    record_row(request, "crashed xdist worker", engine_id(engine), seconds)


# -- killed while the emulator starts -------------------------------------------------------


def spawned_emulator(run: Inner, engine: dict[str, Any]) -> Leftover:
    """Wait for the first trace of the run's emulator: its container, or its process."""
    deadline = time.monotonic() + READY_BOUND
    marker = f"{label_env_name(LABEL_OWNER)}={run.owner}".encode()
    while time.monotonic() < deadline:
        if engine["engine"] == "docker":
            found = [Leftover("container", c) for c in docker_containers(LABEL_OWNER, run.owner)]
        else:
            found = [p for p in labelled_processes([marker]) if "moto.server" in p.detail]
        if found:
            return found[0]
        assert run.process.poll() is None, run.output()
        time.sleep(0.01)
    pytest.fail(f"no emulator appeared within {READY_BOUND:g} s:\n{run.output()}")


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_run_killed_while_its_emulator_starts_leaves_nothing(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    sig: signal.Signals,
    request: pytest.FixtureRequest,
) -> None:
    """The signal arrives as soon as the container or process exists, before it is ready."""
    docker_engine(engine, request)
    run = inner_runs.start(engine, HOLD)
    emulator = spawned_emulator(run, engine)
    sent = time.monotonic()
    os.killpg(run.pid, sig)
    run.wait(EXIT_BOUND)
    assert "INTERNALERROR" not in run.output()
    assert run.records() == [], "the signal came after the emulator was ready"
    seconds = time_to_clean(run.owner, [], since=sent)
    record_row(
        request,
        f"{sig.name} while the emulator starts ({emulator.kind} seen)",
        engine_id(engine),
        seconds,
    )


# -- killed together with its watchdog: the next run cleans up ------------------------------


@pytest.mark.engines("docker-moto", "process")
def test_the_next_run_cleans_up_after_a_run_killed_with_its_watchdog(
    inner_runs: InnerRuns, engine: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """SIGKILL of the run and of its watchdog leaves the emulator and the run directory (lock
    and state files) behind; the next run on this machine removes them and runs normally."""
    docker_engine(engine, request)
    killed = inner_runs.start(engine, HOLD)
    records = killed.wait_for_records()
    run_dir = Path(records[0]["run_dir"])
    watchdog = int((run_dir / "watchdog.pid").read_text())
    assert {p.name for p in run_dir.iterdir()} >= {"owner", "watchdog.pid"}
    assert list(run_dir.glob("*.lock"))
    assert list(run_dir.glob("*.endpoint.json"))
    sent = time.monotonic()
    os.kill(watchdog, signal.SIGKILL)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(5)
    # Nothing of this run cleans up now; what is left waits for the next run on this machine
    # (which may be another test session's, if one runs concurrently).
    kinds = sorted({item.kind for item in leftovers(killed.owner, records)})

    following = inner_runs.start(engine, PASSING)
    assert following.wait(READY_BOUND) == 0, following.output()
    seconds = time_to_clean(killed.owner, records, since=sent)
    assert following.outcomes() == {"passed": 3}
    time_to_clean(following.owner, following.records(), since=time.monotonic())
    record_row(
        request,
        "SIGKILL of the tree and of the watchdog; cleaned by the next run",
        engine_id(engine),
        seconds,
        found="until the next run: " + ", ".join(kinds),
    )


# -- stale state ----------------------------------------------------------------------------

DAMAGED_STATE = (
    PRELUDE
    + """
import glob

def damage(how, endpoint, run_dir):
    if how == "corrupted":
        for path in glob.glob(os.path.join(run_dir, "*.endpoint.json")):
            with open(path, "w") as f:
                f.write('{"url": "http://127.0.0.1:1", "emul')
    elif endpoint.engine == "docker":
        import docker
        client = docker.from_env()
        client.containers.get(endpoint.handle).kill()
        client.close()
    else:
        os.kill(int(endpoint.handle), signal.SIGKILL)

def test_1_damage(localstack, pytestconfig):
    record = report(localstack, pytestconfig)
    damage(os.environ["DAMAGE"], localstack.endpoint, record["run_dir"])
    # Forget the endpoint in this process too, as a worker that had not asked yet would.
    pytestconfig.stash[COORDINATOR_KEY]._endpoints.clear()

def test_2_recover(localstack, pytestconfig):
    report(localstack, pytestconfig)
"""
)


@pytest.mark.engines("docker-moto", "process")
@pytest.mark.parametrize("damage", ["corrupted", "gone"])
def test_a_damaged_state_file_is_recovered_from(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    damage: str,
    request: pytest.FixtureRequest,
) -> None:
    """A state file that is corrupted, or that points at an emulator that is gone: the next
    session of the run starts a new emulator, and at the end both are gone."""
    docker_engine(engine, request)
    run = inner_runs.start(engine, DAMAGED_STATE, env={"DAMAGE": damage})
    assert run.wait(READY_BOUND) == 0, run.output()
    ended = time.monotonic()
    assert run.outcomes() == {"passed": 2}, run.output()
    first, second = run.records()
    assert first["handle"] != second["handle"]
    seconds = time_to_clean(run.owner, [first, second], since=ended)
    record_row(request, f"state file {damage}", engine_id(engine), seconds)


STALE_REUSE = (
    PRELUDE
    + """
def test_reused(localstack, pytestconfig):
    report(localstack, pytestconfig)
"""
)


@pytest.mark.engines("docker-moto", "process")
def test_stale_reuse_records_are_recovered_from(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The registry of --localstack-reuse outlives runs. After a run killed with SIGKILL, its
    lock file stays and its record points at an emulator that is gone (say, after a reboot);
    next to it lies a corrupted record. The next run starts a new emulator and records it."""
    docker_engine(engine, request)
    registry = tmp_path / "registry"
    env = {"PYTEST_LOCALSTACK_REUSE_DIR": str(registry)}
    first = inner_runs.start(engine, HOLD, "--localstack-reuse=true", env=env)
    (record,) = first.wait_for_records()
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(5)
    (entry,) = registry.glob("*.json")
    assert list(registry.glob("*.lock"))
    if record["engine"] == "docker":
        subprocess.run(["docker", "rm", "-f", record["handle"]], capture_output=True, check=True)
    else:
        os.kill(int(record["handle"]), signal.SIGKILL)
    (registry / "0123456789abcdef.json").write_text('{"url": "http://127.0.0.1:1", "emu')

    second = inner_runs.start(engine, STALE_REUSE, "--localstack-reuse=true", env=env)
    assert second.wait(READY_BOUND) == 0, second.output()
    (recovered,) = second.records()
    assert recovered["handle"] != record["handle"]
    assert json.loads(entry.read_text())["handle"] == recovered["handle"]

    stopper = inner_runs.start(
        engine, "def test_nothing():\n    pass\n", "--localstack-stop-reused", env=env
    )
    assert stopper.wait(READY_BOUND) == 0, stopper.output()
    stopped = time.monotonic()
    assert not list(registry.glob("*.json"))
    # Reused emulators carry no run label of their own: count them by their handles.
    by_handle = [
        dict(r, run_id=f"no-such-run-{index}", run_dir=str(tmp_path / "no-such-dir"))
        for index, r in enumerate((record, recovered))
    ]
    seconds = time_to_clean(first.owner, by_handle, since=stopped)
    record_row(request, "stale reuse registry (gone, corrupted, lock)", engine_id(engine), seconds)


# -- concurrent runs ------------------------------------------------------------------------

CONCURRENT = (
    PRELUDE
    + """
@pytest.mark.parametrize("n", range(6))
def test_work(localstack, pytestconfig, n):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="same-name-in-every-run")
    assert len(sqs.list_queues()["QueueUrls"]) == 1
    report(localstack, pytestconfig)

def test_outlive_the_others(localstack, pytestconfig):
    # Runs end at different times: the last ones still need their emulators when the first
    # ones stop theirs.
    time.sleep(float(os.environ["LINGER"]))
    report(localstack, pytestconfig)
"""
)


@pytest.mark.engines("docker-moto", "process")
@pytest.mark.parametrize("count", [2, 4])
def test_concurrent_runs_do_not_touch_each_other(
    inner_runs: InnerRuns,
    engine: dict[str, Any],
    count: int,
    request: pytest.FixtureRequest,
) -> None:
    docker_engine(engine, request)
    runs = [
        inner_runs.start(engine, CONCURRENT, "-n", "2", env={"LINGER": str(index * 1.5)})
        for index in range(count)
    ]
    seconds = 0.0
    for run in runs:  # they end in this order; each is counted while the later ones still run
        assert run.wait(READY_BOUND * 2) == 0, run.output()
        ended = time.monotonic()
        assert run.outcomes() == {"passed": 7}, run.output()
        seconds = max(seconds, time_to_clean(run.owner, run.records(), since=ended))
    seen: dict[str, set[str]] = {"handle": set(), "run_id": set(), "run_dir": set()}
    for run in runs:
        records = run.records()
        assert len(records) == 7
        check_labels(run, records)
        for field, values in seen.items():
            mine = {r[field] for r in records}
            assert len(mine) == 1, f"one {field} per run: {mine}"
            assert not mine & values, f"two runs shared a {field}: {mine}"
            values.update(mine)
    record_row(request, f"{count} concurrent runs, -n 2 each", engine_id(engine), seconds)
