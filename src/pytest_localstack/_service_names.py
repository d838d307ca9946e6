"""The AWS service names botocore knows: the valid values of ``services=``, never kept by hand."""

from __future__ import annotations

import functools
import re

_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


@functools.cache
def known_services() -> frozenset[str]:
    """Every service name botocore knows: the list of valid names, never kept by hand."""
    import botocore.session

    return frozenset(botocore.session.Session().get_available_services())


def is_known_service(name: object) -> bool:
    """Whether botocore knows the service ``name``.

    A look into that service's own folder of botocore's data first: reading the whole list
    (:func:`known_services`, for messages) costs a warm start about 10 ms. A name not found
    there (a model added through ``AWS_DATA_PATH``) is looked up in the whole list.
    """
    if isinstance(name, str) and _SERVICE_NAME.fullmatch(name) and _has_service_model(name):
        return True
    return name in known_services()


@functools.cache
def _has_service_model(name: str) -> bool:
    from botocore.exceptions import DataNotFoundError

    from pytest_localstack.contrib._sessions import shared_data_loader

    try:
        return bool(shared_data_loader().list_api_versions(name, "service-2"))
    except DataNotFoundError:
        return False
