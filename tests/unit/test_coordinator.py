"""Unit tests for :mod:`pytest_localstack.sharing.coordinator` with a fake runtime: nothing runs.

The fake runtime counts starts; the fake emulator's probe is always ready. Processes of a run
are simulated by several :class:`Coordinator` instances on one run directory (threads), and by
real child processes for the cross-process test.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from pytest_localstack._processes import owner_token
from pytest_localstack._state_dir import user_state_dir, why_not_private
from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS, Probe
from pytest_localstack.exceptions import EngineUnavailableError, LocalstackError, StartupError
from pytest_localstack.runtimes import (
    LABEL,
    LABEL_CONFIG,
    LABEL_HOST,
    LABEL_OWNER,
    LABEL_RUN,
    LABEL_UID,
    Endpoint,
    Runtimes,
    ignore_spawn,
)
from pytest_localstack.sharing import coordinator as coordinator_module
from pytest_localstack.sharing import registry
from pytest_localstack.sharing.coordinator import Coordinator

#: Before any fixture replaces it.
REAL_START_WATCHDOG = Coordinator._start_watchdog


class FakeEmulator:
    def __init__(self) -> None:
        self.ready = True

    def probe(self, base_url: str, services: tuple[str, ...] = ()) -> Probe:
        return Probe(self.ready, version="fake")


class FakeRuntime:
    """Starts pretend emulators; one instance stands for every runtime of the test."""

    name = "fake"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.run_dirs: list[Path] = []
        self.starts: list[tuple[Settings, dict[str, str]]] = []
        self.stops: list[tuple[Endpoint, float]] = []
        self.alive: set[str] = set()
        self.start_delay = 0.0
        self.start_error: Exception | None = None
        self.stop_error: Exception | None = None
        self.pending_seen: list[bool] = []

    def start(
        self,
        settings: Settings,
        emulator: Any,
        labels: dict[str, str],
        on_spawn: Any = ignore_spawn,
    ) -> Endpoint:
        with self.lock:
            self.starts.append((settings, labels))
            number = len(self.starts)
        # Like the real runtimes: report what there is to stop before waiting for readiness.
        spawned = Endpoint(
            url="", emulator="localstack", version="", engine="fake", handle=f"{number}"
        )
        on_spawn(spawned)
        self.alive.add(spawned.handle)
        self.pending_seen.append(any(Path(p).exists() for p in self.pending_paths))
        time.sleep(self.start_delay)
        if self.start_error is not None:
            raise self.start_error
        endpoint = Endpoint(
            url=f"http://127.0.0.1:{40000 + number}",
            emulator="localstack",
            version="fake",
            engine="fake",
            handle=str(number),
        )
        self.alive.add(endpoint.handle)
        return endpoint

    def stop(self, endpoint: Endpoint, timeout: float) -> None:
        self.stops.append((endpoint, timeout))
        self.alive.discard(endpoint.handle)
        if self.stop_error is not None:
            raise self.stop_error

    def is_alive(self, endpoint: Endpoint) -> bool:
        return endpoint.handle in self.alive

    @property
    def pending_paths(self) -> list[Path]:
        return [p for d in self.run_dirs for p in d.glob("*.pending.json")]

    def logs(self, endpoint: Endpoint, lines: int = 50) -> str:
        return ""

    def profile(self, settings: Settings) -> Any:
        return EMULATORS[settings.emulator]


@pytest.fixture
def watchdogs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The run directories a watchdog was asked for; no watchdog process is started."""
    asked: list[Path] = []
    monkeypatch.setattr(Coordinator, "_start_watchdog", lambda self: asked.append(self.run_dir))
    return asked


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, watchdogs: list[Path], run_dir: Path) -> FakeRuntime:
    fake = FakeRuntime()
    fake.run_dirs.append(run_dir)
    monkeypatch.setattr(Runtimes, "__getitem__", lambda self, engine: fake)
    monkeypatch.setattr(Runtimes, "choose_engine", lambda self, settings: "fake")
    monkeypatch.setitem(EMULATORS, "localstack", FakeEmulator())  # type: ignore[arg-type]
    return fake


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run directory as the owner creates it (see ``Coordinator.create``)."""
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    (path / "owner").write_text(owner_token())
    return path


SETTINGS = Settings()


def state_file(run_dir: Path, key: str) -> Path:
    return run_dir / f"{key}.endpoint.json"


def test_create_makes_a_fresh_run_directory() -> None:
    one, two = Coordinator.create(), Coordinator.create()
    try:
        assert one.run_dir.is_dir()
        assert one.run_dir.name.startswith("pytest-localstack-run-")
        assert one.run_dir.parent == user_state_dir()
        assert why_not_private(one.run_dir) == ""
        assert one.run_dir != two.run_dir
        assert len(one.run_id) == 12
        assert one.run_id != two.run_id
        assert one.worker_id == ""
        assert one.owner == owner_token()
        assert Coordinator(one.run_dir, one.run_id, worker_id="gw0").owner == owner_token()
    finally:
        one.stop_all()
        two.stop_all()
    assert not one.run_dir.exists()


def test_first_call_starts_and_records(runtime: FakeRuntime, run_dir: Path) -> None:
    owner = Coordinator(run_dir, "run1")
    endpoint = owner.endpoint(SETTINGS)
    assert len(runtime.starts) == 1
    key = SETTINGS.endpoint_key()
    assert owner.key(SETTINGS) == key
    assert Endpoint.from_json(state_file(run_dir, key).read_text()) == endpoint
    assert owner.endpoint(SETTINGS) is endpoint  # remembered: no second start, no file read
    assert len(runtime.starts) == 1


def test_start_labels(runtime: FakeRuntime, run_dir: Path) -> None:
    (run_dir / "owner").write_text("4242:12345")  # the xdist controller, say
    Coordinator(run_dir, "run1").endpoint(SETTINGS)
    other = Settings(image="other/image:1")
    Coordinator(run_dir, "run1", worker_id="gw3").endpoint(other)
    (_, owner_labels), (_, worker_labels) = runtime.starts
    assert owner_labels == {
        LABEL: "1",
        LABEL_RUN: "run1",
        LABEL_OWNER: "4242:12345",
        LABEL_HOST: socket.gethostname(),
        LABEL_CONFIG: SETTINGS.endpoint_key(),
        LABEL_UID: str(os.getuid()),
    }
    assert worker_labels[LABEL_OWNER] == "4242:12345"  # the run's owner, not the worker
    assert worker_labels[LABEL_CONFIG] == other.endpoint_key()


def test_watchdog_is_asked_for_before_a_start(
    runtime: FakeRuntime, run_dir: Path, watchdogs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    Coordinator(run_dir, "run1").endpoint(SETTINGS)
    assert watchdogs == [run_dir]
    monkeypatch.setattr(Runtimes, "choose_engine", lambda self, settings: "external")
    Coordinator(run_dir, "run1").endpoint(Settings(endpoint="http://127.0.0.1:1"))
    assert watchdogs == [run_dir]  # nothing to clean up after an external emulator


def test_pending_record_while_starting(runtime: FakeRuntime, run_dir: Path) -> None:
    """Between spawn and readiness the emulator is recorded as pending, then as the state."""
    Coordinator(run_dir, "run1").endpoint(SETTINGS)
    assert runtime.pending_seen == [True]
    assert list(run_dir.glob("*.pending.json")) == []


def test_stop_all_stops_an_emulator_whose_start_failed_after_spawning(
    runtime: FakeRuntime, run_dir: Path
) -> None:
    runtime.start_error = RuntimeError("the starter died while the emulator booted")
    owner = Coordinator(run_dir, "run1")
    with pytest.raises(RuntimeError):
        owner.endpoint(SETTINGS)
    assert len(list(run_dir.glob("*.pending.json"))) == 1
    assert owner.stop_all(3.0) == []  # nothing that served requests ...
    assert [(e.handle, e.url) for e, _ in runtime.stops] == [("1", "")]  # ... but it is stopped
    assert not run_dir.exists()


def test_second_coordinator_attaches(runtime: FakeRuntime, run_dir: Path) -> None:
    first = Coordinator(run_dir, "run1", worker_id="gw0").endpoint(SETTINGS)
    second = Coordinator(run_dir, "run1", worker_id="gw1").endpoint(SETTINGS)
    assert second == first
    assert len(runtime.starts) == 1


def test_settings_that_differ_only_in_region_share_an_emulator(
    runtime: FakeRuntime, run_dir: Path
) -> None:
    owner = Coordinator(run_dir, "run1")
    first = owner.endpoint(Settings(region="us-east-1"))
    assert owner.endpoint(Settings(region="eu-west-1", start_timeout=5)) == first
    assert owner.endpoint(Settings(image="localstack/localstack:3.0")) != first
    assert len(runtime.starts) == 2


def test_share_worker_gives_each_worker_its_own(runtime: FakeRuntime, run_dir: Path) -> None:
    settings = Settings(share="worker")
    gw0 = Coordinator(run_dir, "run1", worker_id="gw0")
    gw1 = Coordinator(run_dir, "run1", worker_id="gw1")
    main = Coordinator(run_dir, "run1")
    base = settings.endpoint_key()
    assert gw0.key(settings) == f"{base}-gw0"
    assert gw1.key(settings) == f"{base}-gw1"
    assert main.key(settings) == f"{base}-main"
    assert gw0.endpoint(settings) != gw1.endpoint(settings)
    assert len(runtime.starts) == 2
    assert Coordinator(run_dir, "run1", worker_id="gw0").endpoint(settings) == gw0.endpoint(
        settings
    )
    assert len(runtime.starts) == 2


def test_share_run_ignores_the_worker(run_dir: Path) -> None:
    assert Coordinator(run_dir, "r", worker_id="gw5").key(SETTINGS) == SETTINGS.endpoint_key()


@pytest.mark.parametrize(
    "content",
    ["", "not json", "{}", "[1, 2]", '{"url": "http://127.0.0.1:1", "colour": "blue"}'],
    ids=["empty", "not-json", "empty-object", "list", "unknown-field"],
)
def test_corrupted_state_file_is_ignored(
    runtime: FakeRuntime, run_dir: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    state = state_file(run_dir, SETTINGS.endpoint_key())
    state.write_text(content)
    with caplog.at_level(logging.WARNING, logger="pytest_localstack.sharing"):
        endpoint = Coordinator(run_dir, "run1").endpoint(SETTINGS)
    assert len(runtime.starts) == 1
    assert Endpoint.from_json(state.read_text()) == endpoint
    assert f"ignoring unreadable state file {state}" in caplog.text


def test_dead_recorded_endpoint_is_replaced(
    runtime: FakeRuntime, run_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Coordinator(run_dir, "run1").endpoint(SETTINGS)
    runtime.alive.clear()  # the container died
    with caplog.at_level(logging.WARNING, logger="pytest_localstack.sharing"):
        second = Coordinator(run_dir, "run1", worker_id="gw1").endpoint(SETTINGS)
    assert second != first
    assert len(runtime.starts) == 2
    state = state_file(run_dir, SETTINGS.endpoint_key())
    assert Endpoint.from_json(state.read_text()) == second
    assert "is gone; starting a new one" in caplog.text


def test_recorded_endpoint_that_no_longer_answers_is_replaced(
    runtime: FakeRuntime, run_dir: Path
) -> None:
    first = Coordinator(run_dir, "run1").endpoint(SETTINGS)
    EMULATORS["localstack"].ready = False  # type: ignore[attr-defined]
    second = Coordinator(run_dir, "run1", worker_id="gw1").endpoint(SETTINGS)
    assert second != first
    assert len(runtime.starts) == 2


def test_start_failure_is_recorded_and_fails_fast(runtime: FakeRuntime, run_dir: Path) -> None:
    runtime.start_error = StartupError("Docker could not start the image: it exploded")
    with pytest.raises(StartupError, match="it exploded") as first:
        Coordinator(run_dir, "run1", worker_id="gw0").endpoint(SETTINGS)
    assert first.value is runtime.start_error
    runtime.start_error = None  # even if a start would now work, the run keeps failing
    for worker in ("gw1", "gw0"):
        with pytest.raises(StartupError) as later:
            Coordinator(run_dir, "run1", worker_id=worker).endpoint(SETTINGS)
        assert str(later.value) == (
            "the emulator failed to start earlier in this run:\n"
            "Docker could not start the image: it exploded"
        )
    assert len(runtime.starts) == 1
    assert not state_file(run_dir, SETTINGS.endpoint_key()).exists()


def test_no_engine_for_auto_is_recorded_and_fails_fast(
    runtime: FakeRuntime, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def no_engine(self: Runtimes, settings: Settings) -> str:
        asked.append(settings)
        raise EngineUnavailableError("no AWS emulator can run here")

    monkeypatch.setattr(Runtimes, "choose_engine", no_engine)
    for worker in ("gw0", "gw1", "gw0"):
        with pytest.raises(LocalstackError, match="no AWS emulator can run here"):
            Coordinator(run_dir, "run1", worker_id=worker).endpoint(SETTINGS)
    assert len(asked) == 1  # tried once; the other tests got the recorded answer
    assert runtime.starts == []


def test_a_watchdog_that_cannot_launch_is_recorded_and_fails_fast(
    runtime: FakeRuntime, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Coordinator, "_start_watchdog", REAL_START_WATCHDOG)
    monkeypatch.setattr(coordinator_module.sys, "executable", "/nonexistent/python")
    with pytest.raises(StartupError) as first:
        Coordinator(run_dir, "run1").endpoint(SETTINGS)
    assert str(first.value) == (
        "could not launch the run's watchdog (/nonexistent/python -m "
        "pytest_localstack.sharing.watchdog): [Errno 2] No such file or directory: "
        "'/nonexistent/python'; it stops the emulators if pytest is killed, so nothing was "
        "started"
    )
    with pytest.raises(StartupError) as later:
        Coordinator(run_dir, "run1", worker_id="gw1").endpoint(SETTINGS)
    assert str(later.value) == (
        "the emulator failed to start earlier in this run:\n" + str(first.value)
    )
    assert runtime.starts == []


def test_failure_of_one_configuration_does_not_block_another(
    runtime: FakeRuntime, run_dir: Path
) -> None:
    runtime.start_error = StartupError("broken image")
    with pytest.raises(StartupError):
        Coordinator(run_dir, "run1").endpoint(Settings(image="broken/image:1"))
    runtime.start_error = None
    assert Coordinator(run_dir, "run1").endpoint(SETTINGS).url.startswith("http://127.0.0.1:")


def test_unexpected_errors_are_not_recorded(runtime: FakeRuntime, run_dir: Path) -> None:
    runtime.start_error = RuntimeError("a bug, not a failed start")
    with pytest.raises(RuntimeError):
        Coordinator(run_dir, "run1").endpoint(SETTINGS)
    runtime.start_error = None
    Coordinator(run_dir, "run1").endpoint(SETTINGS)
    assert len(runtime.starts) == 2


def test_lock_timeout(runtime: FakeRuntime, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "LOCK_MARGIN", 0.0)
    settings = Settings(start_timeout=0.2)
    lock = FileLock(str(run_dir / f"{settings.endpoint_key()}.lock"))
    with lock, pytest.raises(StartupError) as excinfo:
        Coordinator(run_dir, "run1").endpoint(settings)
    assert str(excinfo.value) == (
        "waited 0.2 s for another worker to start the emulator; raise --localstack-start-timeout"
    )
    assert runtime.starts == []


def test_stop_all(runtime: FakeRuntime, run_dir: Path) -> None:
    owner = Coordinator(run_dir, "run1")
    worker = Coordinator(run_dir, "run1", worker_id="gw1")
    one = owner.endpoint(SETTINGS)
    two = worker.endpoint(Settings(image="localstack/localstack:3.0"))
    three = worker.endpoint(Settings(share="worker"))
    stopped = owner.stop_all(7.0)
    assert sorted(stopped, key=lambda e: e.url) == sorted([one, two, three], key=lambda e: e.url)
    assert sorted(runtime.stops, key=lambda s: s[0].url) == [
        (one, 7.0),
        (two, 7.0),
        (three, 7.0),
    ]
    assert owner.stopped == stopped
    assert not run_dir.exists()


def test_stop_all_continues_after_a_failed_stop(
    runtime: FakeRuntime, run_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    owner = Coordinator(run_dir, "run1")
    owner.endpoint(SETTINGS)
    owner.endpoint(Settings(image="localstack/localstack:3.0"))
    runtime.stop_error = LocalstackError("the engine went away")
    with caplog.at_level(logging.WARNING, logger="pytest_localstack.sharing"):
        stopped = owner.stop_all()
    assert len(stopped) == 2
    assert len(runtime.stops) == 2
    assert caplog.text.count("the engine went away") == 2
    assert not run_dir.exists()


def test_stop_all_skips_unreadable_state_files(runtime: FakeRuntime, run_dir: Path) -> None:
    owner = Coordinator(run_dir, "run1")
    good = owner.endpoint(SETTINGS)
    state_file(run_dir, "garbage").write_text("not json")
    assert owner.stop_all() == [good]
    assert not run_dir.exists()


def test_stop_all_forgets_endpoints(runtime: FakeRuntime, run_dir: Path) -> None:
    owner = Coordinator(run_dir, "run1")
    owner.endpoint(SETTINGS)
    owner.stop_all()
    run_dir.mkdir()
    (run_dir / "owner").write_text(owner_token())
    owner.endpoint(SETTINGS)
    assert len(runtime.starts) == 2


def test_concurrent_threads_start_exactly_one(runtime: FakeRuntime, run_dir: Path) -> None:
    runtime.start_delay = 0.3
    workers = 8
    barrier = threading.Barrier(workers)
    results: dict[int, Endpoint] = {}
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            coordinator = Coordinator(run_dir, "run1", worker_id=f"gw{number}")
            barrier.wait()
            results[number] = coordinator.endpoint(SETTINGS)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(runtime.starts) == 1
    assert len(results) == workers
    assert len(set(results.values())) == 1


_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    from pytest_localstack import emulators
    from pytest_localstack.sharing import coordinator as module
    from pytest_localstack._processes import owner_token
    from pytest_localstack.config import Settings
    from pytest_localstack.emulators import Probe
    from pytest_localstack.runtimes import Endpoint, Runtimes

    run_dir, starts, go = (Path(arg) for arg in sys.argv[1:4])
    worker = sys.argv[4]

    class Runtime:
        def start(self, settings, emulator, labels, on_spawn=None):
            with starts.open("a") as f:
                f.write(f"{os.getpid()}\\n")
            time.sleep(0.5)
            return Endpoint(url=f"http://127.0.0.1:{os.getpid()}", emulator="localstack",
                            version="fake", engine="fake", handle=str(os.getpid()))

        def is_alive(self, endpoint):
            return True

        def profile(self, settings):
            return emulators.EMULATORS[settings.emulator]

    class Emulator:
        def probe(self, url, services=()):
            return Probe(True)

    Runtimes.__getitem__ = lambda self, engine: Runtime()
    Runtimes.choose_engine = lambda self, settings: "fake"
    emulators.EMULATORS["localstack"] = Emulator()
    module.Coordinator._start_watchdog = lambda self: None
    coordinator = module.Coordinator(run_dir, "run1", worker_id=worker)
    settings = Settings()
    (run_dir.parent / f"ready-{worker}").touch()
    while not go.exists():
        time.sleep(0.01)
    print(coordinator.endpoint(settings).url)
    """
)


def test_concurrent_processes_start_exactly_one(run_dir: Path) -> None:
    """Real processes, as xdist workers are: the file lock lets exactly one of them start."""
    starts = run_dir.parent / "starts.txt"
    go = run_dir.parent / "go"
    workers = [f"gw{n}" for n in range(4)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(run_dir), str(starts), str(go), worker],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in workers
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((run_dir.parent / f"ready-{w}").exists() for w in workers):
            assert all(p.poll() is None for p in processes), "a child exited early"
            assert time.monotonic() < deadline, "the children did not get ready"
            time.sleep(0.02)
        go.touch()
        outputs = [p.communicate(timeout=60) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert [p.returncode for p in processes] == [0] * len(workers), outputs
    urls = {stdout.strip() for stdout, _ in outputs}
    assert len(urls) == 1
    assert len(starts.read_text().splitlines()) == 1
    state = json.loads((run_dir / f"{Settings().endpoint_key()}.endpoint.json").read_text())
    assert state["url"] in urls


def test_one_watchdog_when_emulators_start_at_once(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Early starts of emulators with different settings run in threads at the same time."""
    launched: list[int] = []

    def launch(self: Coordinator) -> int:
        time.sleep(0.05)  # while the others arrive
        launched.append(4242)
        return 4242

    monkeypatch.setattr(Coordinator, "_start_watchdog", launch)
    coordinator = Coordinator(run_dir, "run1")
    threads = [
        threading.Thread(target=coordinator._ensure_watchdog, args=("process",)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert launched == [4242]
    assert (run_dir / "watchdog.pid").read_text() == "4242"
