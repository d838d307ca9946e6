"""aioboto3 support: ``session.aioboto3`` sessions, clients and resources bound to the emulator.

aioboto3 makes its clients (and the clients behind its resources) through aiobotocore's
``AioSession.create_client``, so while botocore is patched, :mod:`.aiobotocore` redirects and
guards them; nothing here patches anything. Install with ``pip install "pytest-localstack[aio]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aioboto3

from pytest_localstack.contrib import aiobotocore as contrib_aiobotocore

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession


class Aioboto3TestResourceFactory:
    """``session.aioboto3``: aioboto3 sessions, clients and resources bound to a session.

    ``async with session.aioboto3.resource("dynamodb") as dynamodb: ...``
    """

    def __init__(self, localstack_session: RunningSession) -> None:
        self.localstack_session = localstack_session
        self._default_session: aioboto3.Session | None = None

    def session(self, *args: Any, **kwargs: Any) -> aioboto3.Session:
        """A new aioboto3 session whose clients and resources go to the emulator."""
        kwargs.setdefault("region_name", self.localstack_session.region_name)
        botocore_session = contrib_aiobotocore.LocalstackAioSession(self.localstack_session)
        return aioboto3.Session(*args, botocore_session=botocore_session, **kwargs)

    @property
    def default_session(self) -> aioboto3.Session:
        """One shared aioboto3 session for this pytest-localstack session (any event loop)."""
        if self._default_session is None:
            self._default_session = self.session()
        return self._default_session

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """An aioboto3 client for ``service_name`` in the emulator (an async context manager)."""
        return self.default_session.client(service_name, *args, **kwargs)

    def resource(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """An aioboto3 resource for ``service_name`` in the emulator (an async context manager)."""
        return self.default_session.resource(service_name, *args, **kwargs)
