"""Unit tests for :mod:`pytest_localstack.contrib._active`: per-context and per-process stacks."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator

import pytest

from pytest_localstack.contrib import _active
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession


def make(account_id: str) -> RunningSession:
    endpoint = Endpoint(url="http://127.0.0.1:1", emulator="moto", version="t", engine="external")
    return RunningSession(endpoint=endpoint, account_id=account_id)


@pytest.fixture(autouse=True)
def _nothing_active() -> Iterator[None]:
    assert _active.sessions() == ()
    yield
    assert _active.sessions() == ()


def test_nothing_active() -> None:
    assert not _active.is_active()
    with pytest.raises(LookupError, match="no pytest-localstack session redirects botocore"):
        _active.current()


def test_nested_in_one_context() -> None:
    outer, inner = make("111111111111"), make("222222222222")
    assert _active.activate(outer) is True
    assert _active.activate(inner) is False
    assert _active.current() is inner
    assert _active.deactivate(inner) is False
    assert _active.current() is outer
    assert _active.deactivate(outer) is True
    assert not _active.is_active()


def test_out_of_order_ends() -> None:
    outer, inner = make("111111111111"), make("222222222222")
    _active.activate(outer)
    _active.activate(inner)
    assert _active.deactivate(outer) is False
    assert _active.current() is inner
    assert _active.sessions() == (inner,)
    assert _active.deactivate(inner) is True


def test_ending_what_is_not_active_is_an_error() -> None:
    with pytest.raises(ValueError, match="is not active"):
        _active.deactivate(make("111111111111"))


def test_each_thread_has_its_own_patch() -> None:
    sessions = [make("111111111111"), make("222222222222")]
    both_active = threading.Barrier(2)
    seen: dict[str, str] = {}

    def work(session: RunningSession) -> None:
        _active.activate(session)
        both_active.wait(10)
        seen[session.account_id] = _active.current().account_id
        both_active.wait(10)
        _active.deactivate(session)

    threads = [threading.Thread(target=work, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"111111111111": "111111111111", "222222222222": "222222222222"}


def test_a_context_without_its_own_patch_uses_the_newest_of_the_process() -> None:
    """A thread started inside a patched test (threads start with an empty context)."""
    first, second = make("111111111111"), make("222222222222")
    _active.activate(first)
    seen: list[RunningSession] = []
    thread = threading.Thread(target=lambda: seen.append(_active.current()))
    thread.start()
    thread.join(10)
    # ... and with two, the newest one.
    contextvars.Context().run(_active.activate, second)
    thread = threading.Thread(target=lambda: seen.append(_active.current()))
    thread.start()
    thread.join(10)
    assert _active.current() is first  # this context's own patch wins
    _active.deactivate(second)
    _active.deactivate(first)
    assert seen == [first, second]


def test_asyncio_tasks_have_their_own_patches_and_end_out_of_order() -> None:
    first, second = make("111111111111"), make("222222222222")
    seen: dict[str, list[str]] = {"111111111111": [], "222222222222": []}

    async def work(session: RunningSession, go: asyncio.Event, other: asyncio.Event) -> None:
        _active.activate(session)
        go.set()
        await other.wait()
        seen[session.account_id].append(_active.current().account_id)
        await asyncio.sleep(0)
        seen[session.account_id].append(_active.current().account_id)
        _active.deactivate(session)

    async def both() -> None:
        a, b = asyncio.Event(), asyncio.Event()
        await asyncio.gather(work(first, a, b), work(second, b, a))

    asyncio.run(both())
    assert seen == {"111111111111": ["111111111111"] * 2, "222222222222": ["222222222222"] * 2}


def test_a_task_that_outlives_its_creators_patch_does_not_see_it() -> None:
    session = make("111111111111")
    _active.activate(session)
    copied = contextvars.copy_context()
    _active.deactivate(session)
    with pytest.raises(LookupError):
        copied.run(_active.current)
