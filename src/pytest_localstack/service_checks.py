"""Checks that a service of a session's emulator answers, as the original project had them.

Each check takes a started session (or a :class:`~pytest_localstack.RunningSession` made with a
host name) and raises :class:`~pytest_localstack.exceptions.ServiceError` while the service does
not answer. :meth:`RunningSession.start` does not need them: it waits on the emulator's own
health probe. They are for suites that call them or add their own to :data:`SERVICE_CHECKS`.
"""

from __future__ import annotations

import contextlib
import socket
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_localstack.constants import ORIGINAL_SERVICES
from pytest_localstack.exceptions import ServiceError

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

ServiceCheck = Callable[["RunningSession"], None]


def is_port_open(port_or_url: int | str, timeout: float = 1) -> bool:
    """Whether a TCP connection to ``port_or_url`` (a port on 127.0.0.1, or a URL) succeeds."""
    if isinstance(port_or_url, str):
        url = urllib.parse.urlsplit(port_or_url)
        host = url.hostname or "127.0.0.1"
        port = url.port or (443 if url.scheme == "https" else 80)
    else:
        host, port = "127.0.0.1", port_or_url
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout):
        return True
    return False


def port_check(service_name: str) -> ServiceCheck:
    """A check that passes once the port serving ``service_name`` accepts connections."""

    def check(session: RunningSession) -> None:
        if not is_port_open(session.endpoint_url(service_name)):
            raise ServiceError(service_name=service_name)

    check.__name__ = f"check_{service_name}_port"
    return check


def botocore_check(
    service_name: str, client_func_name: str
) -> Callable[[Callable[[Any], None]], ServiceCheck]:
    """Decorate a response check into a check that calls ``client_func_name`` first.

    ``client_func_name`` must be a harmless operation without required parameters (a ``list_*``
    or ``describe_*``); the decorated function raises if the response looks wrong.
    """

    def decorator(check_response: Callable[[Any], None]) -> ServiceCheck:
        def check(session: RunningSession) -> None:
            if not is_port_open(session.endpoint_url(service_name)):
                raise ServiceError(service_name=service_name)
            import botocore.config

            config = botocore.config.Config(
                connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}
            )
            client = session.botocore.client(service_name, config=config)
            try:
                check_response(getattr(client, client_func_name)())
            except Exception as error:
                raise ServiceError(service_name=service_name) from error

        check.__name__ = f"check_{service_name}_{client_func_name}"
        check.__doc__ = check_response.__doc__
        return check

    return decorator


def botocore_check_response_type(
    service_name: str, client_func_name: str, expected_type: type, *response_keys: str
) -> ServiceCheck:
    """A check that calls ``client_func_name``; ``expected_type`` must be at ``response_keys``."""

    @botocore_check(service_name, client_func_name)
    def check_response(response: Any) -> None:
        for key in response_keys:
            response = response[key]
        if not isinstance(response, expected_type):
            raise TypeError(
                f"{service_name}.{client_func_name} returned {type(response).__name__}, "
                f"expected {expected_type.__name__}"
            )

    return check_response


class _ServiceChecks(dict[str, ServiceCheck]):
    """The table of checks; a service botocore knows but the table lacks gets a port check."""

    def __missing__(self, service_name: str) -> ServiceCheck:
        from pytest_localstack._service_names import known_services

        if service_name not in known_services():
            raise KeyError(service_name)
        return port_check(service_name)


#: service name -> ``check(session)``, raising :class:`ServiceError` until the service answers.
SERVICE_CHECKS: dict[str, ServiceCheck] = _ServiceChecks(
    {
        "apigateway": port_check("apigateway"),
        "cloudformation": botocore_check_response_type(
            "cloudformation", "list_stacks", list, "StackSummaries"
        ),
        "cloudwatch": botocore_check_response_type(
            "cloudwatch", "list_dashboards", list, "DashboardEntries"
        ),
        "dynamodb": botocore_check_response_type("dynamodb", "list_tables", list, "TableNames"),
        "dynamodbstreams": botocore_check_response_type(
            "dynamodbstreams", "list_streams", list, "Streams"
        ),
        "ec2": botocore_check_response_type("ec2", "describe_regions", list, "Regions"),
        "es": botocore_check_response_type("es", "list_domain_names", list, "DomainNames"),
        "events": port_check("events"),
        "firehose": botocore_check_response_type(
            "firehose", "list_delivery_streams", list, "DeliveryStreamNames"
        ),
        "iam": botocore_check_response_type("iam", "list_roles", list, "Roles"),
        "kinesis": botocore_check_response_type("kinesis", "list_streams", list, "StreamNames"),
        "lambda": botocore_check_response_type("lambda", "list_functions", list, "Functions"),
        "logs": botocore_check_response_type("logs", "describe_log_groups", list, "logGroups"),
        "redshift": botocore_check_response_type("redshift", "describe_clusters", list, "Clusters"),
        "route53": port_check("route53"),
        "s3": botocore_check_response_type("s3", "list_buckets", list, "Buckets"),
        "secretsmanager": botocore_check_response_type(
            "secretsmanager", "list_secrets", list, "SecretList"
        ),
        "ses": botocore_check_response_type("ses", "list_identities", list, "Identities"),
        "sns": botocore_check_response_type("sns", "list_topics", list, "Topics"),
        # An account without queues answers without the QueueUrls key: check the response only.
        "sqs": botocore_check_response_type("sqs", "list_queues", dict),
        "ssm": botocore_check_response_type("ssm", "describe_parameters", list, "Parameters"),
        "stepfunctions": botocore_check_response_type(
            "stepfunctions", "list_activities", list, "activities"
        ),
        "sts": botocore_check_response_type("sts", "get_caller_identity", str, "Account"),
    }
)

assert set(SERVICE_CHECKS) == set(ORIGINAL_SERVICES)  # a table kept by hand
