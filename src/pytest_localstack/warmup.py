"""Warm an emulator's services right after it answers, so that the first test does not wait.

LocalStack loads a service on the first request for it (SQS or S3: one to two seconds); moto
builds its backends on first use too. One cheap read-only call per service, all at once, pays
that while the run still collects tests and starts its workers. Measured on LocalStack, this
beats its own eager loading (``EAGER_SERVICE_LOADING``), which delays readiness and still
leaves the first request slow (``benchmarks/``).

The calls go through botocore with this process's shared data loader, so they also load the
service models that the first test's clients need. Nothing is created: the calls only list,
in an account of their own.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

#: The account the warm-up calls act in: none of the accounts that sessions use.
WARMUP_ACCOUNT = "000000000000"
_VERBS = ("List", "Describe", "Get")


def cheap_operation(service_model: Any) -> str | None:
    """A read-only operation of the service that needs no input, or None."""
    for verb in _VERBS:
        names: list[str] = sorted(service_model.operation_names)
        for name in names:
            if not name.startswith(verb):
                continue
            shape = service_model.operation_model(name).input_shape
            if shape is None or not shape.required_members:
                return name
    return None


def warm_service(url: str, service: str, region: str, headers: dict[str, str]) -> float:
    """Make one cheap call to ``service``; return the seconds it took. Errors are only logged:
    an answer of any kind means the emulator has loaded the service."""
    import botocore
    import botocore.config

    from pytest_localstack.contrib._sessions import plain_client
    from pytest_localstack.contrib.environment import ISOLATED_SESSION_VARS

    began = time.perf_counter()
    config = botocore.config.Config(
        proxies={},
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
        s3={"addressing_style": "path"},
    )
    client = plain_client(
        service,
        ISOLATED_SESSION_VARS,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=WARMUP_ACCOUNT,
        aws_secret_access_key="test",
        config=config,
    )
    try:
        operation = cheap_operation(client.meta.service_model)
        if operation is None:
            return 0.0
        if headers:

            def add_headers(request: Any, **_: Any) -> None:
                for name, value in headers.items():
                    request.headers[name] = value

            client.meta.events.register_first("before-sign", add_headers)
        getattr(client, botocore.xform_name(operation))()
    except Exception as error:
        logger.debug("warming %s at %s: %s", service, url, error)
    finally:
        client.close()
    return time.perf_counter() - began


def warm(
    url: str, services: Iterable[str], region: str, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """Warm every service in parallel; return the seconds each took."""
    names = sorted(set(services))
    if not names:
        return {}
    with concurrent.futures.ThreadPoolExecutor(len(names), "localstack-warmup") as pool:
        futures = {
            name: pool.submit(warm_service, url, name, region, headers or {}) for name in names
        }
    return {name: future.result() for name, future in futures.items()}
