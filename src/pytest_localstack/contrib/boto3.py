"""boto3 support: ``session.boto3`` sessions, clients and resources bound to the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession


class Boto3TestResourceFactory:
    """``session.boto3``: boto3 sessions, clients and resources bound to a session."""

    def __init__(self, localstack_session: RunningSession) -> None:
        self.localstack_session = localstack_session
        self._default_session: boto3.Session | None = None

    def session(self, *args: Any, **kwargs: Any) -> boto3.Session:
        """A new boto3 session whose clients and resources go to the emulator."""
        kwargs.setdefault("region_name", self.localstack_session.region_name)
        botocore_session = self.localstack_session.botocore.session()
        session = boto3.Session(*args, botocore_session=botocore_session, **kwargs)
        # The loader is shared by every session; boto3 appends its data directory each time.
        loader = botocore_session.get_component("data_loader")
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
        return session

    @property
    def default_session(self) -> boto3.Session:
        """One shared boto3 session for this pytest-localstack session."""
        if self._default_session is None:
            self._default_session = self.session()
        return self._default_session

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """A boto3 client for ``service_name`` in the emulator."""
        return self.default_session.client(service_name, *args, **kwargs)

    def resource(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """A boto3 resource for ``service_name`` in the emulator."""
        return self.default_session.resource(service_name, *args, **kwargs)
