"""Child processes: point the AWS CLI and any other SDK at the emulator through ``os.environ``.

An in-process patch cannot reach another process, but every AWS SDK and the AWS CLI read the
same environment variables and files. While :func:`patch_environment` is active:

* ``AWS_ENDPOINT_URL`` is the emulator's URL, and every ``AWS_ENDPOINT_URL_<SERVICE>`` and
  ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is removed, so that no service goes elsewhere;
* ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN`` where the emulator
  needs one, see :func:`child_identity`) are the session's; every other source of credentials
  that the environment can name (``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, web identity, the
  container credential endpoints, ...) is removed;
* ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` are the session's region;
* ``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` point at files generated in a private
  temporary directory: a ``default`` profile with the same endpoint, region and credentials and
  path-style S3 addressing. The real ``~/.aws`` files (with their profiles, SSO sessions and
  ``credential_process`` entries) are out of sight, so ``--profile prod`` fails with "profile not
  found" instead of reaching AWS with real credentials;
* ``AWS_EC2_METADATA_DISABLED`` is ``true``, so nothing probes the instance metadata service.

Afterwards every variable it touched has its old value again, or is absent again, also when the
block raises; nested and overlapping patches are undone correctly in any order.

On LocalStack the access key id (the account id) selects the account. moto selects an account
by the ``x-moto-account-id`` header, which no environment variable can add; but moto also maps an
access key to the account it was issued in. So on moto the children get temporary credentials
from ``sts:AssumeRole`` on a role in the session's account (moto needs no such role to exist),
and act in the session's account too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import shutil
import stat
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_localstack import _signed_request
from pytest_localstack._processes import is_alive, owner_token
from pytest_localstack._state_dir import user_state_dir
from pytest_localstack.config import partition_of
from pytest_localstack.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

logger = logging.getLogger(__name__)

#: Variables that could give a child process other credentials, another profile, another
#: endpoint, or an endpoint variant that a custom endpoint rejects: all removed while patched.
REMOVED_VARIABLES = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CREDENTIAL_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)
#: Service-specific endpoints (``AWS_ENDPOINT_URL_S3``) win over ``AWS_ENDPOINT_URL``: removed.
SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"

#: The role whose temporary credentials select the session's account on moto.
CHILD_ROLE_NAME = "pytest-localstack-subprocess"

#: botocore ``session_vars`` for the plugin's own sessions: no profile, config file or
#: credentials file from the environment. Those belong to real AWS, and a profile that does not
#: exist (``AWS_PROFILE=prod`` without a ``prod`` in the config file) would fail every client.
ISOLATED_SESSION_VARS: dict[str, tuple[Any, Any, Any, Any]] = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
}


@dataclasses.dataclass(frozen=True)
class ChildIdentity:
    """The credentials that child processes use, and the account they act in."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None
    account_id: str


_identities: weakref.WeakKeyDictionary[RunningSession, ChildIdentity] = weakref.WeakKeyDictionary()


def enabled(session: RunningSession, override: bool | None = None) -> bool:
    """Whether patching ``session`` also sets the environment for child processes.

    ``override`` wins; then the session's ``subprocess_env`` keyword argument or setting; the
    default is on: a child process of a patched test must not reach AWS with real credentials.
    """
    value: Any = override
    if value is None:
        value = session.kwargs.get("subprocess_env")
    if value is None:
        value = getattr(getattr(session, "settings", None), "subprocess_env", None)
    if value is None:
        return True
    if not isinstance(value, bool):
        raise ConfigurationError(f"subprocess_env: {value!r} is not a boolean; use True or False")
    return value


def child_identity(session: RunningSession) -> ChildIdentity:
    """The credentials that make a child process act in the session's account (cached).

    Where the emulator selects the account by the access key (LocalStack), they are the
    session's own. Where it needs a header (moto), they are temporary credentials issued by
    ``sts:AssumeRole`` in the session's account, which moto maps back to that account; if that
    fails, the session's own, and children act in moto's default account.
    """
    identity = _identities.get(session)
    if identity is not None:
        return identity
    identity = ChildIdentity(
        session.access_key_id, session.secret_access_key, None, session.account_id
    )
    if session.request_headers:
        try:
            identity = _assumed_role_identity(session)
        except Exception:
            logger.warning(
                "could not get temporary credentials in account %s for child processes; they "
                "will act in the emulator's default account",
                session.account_id,
                exc_info=True,
            )
    _identities[session] = identity
    return identity


def _assumed_role_identity(session: RunningSession) -> ChildIdentity:
    """``sts:AssumeRole`` in the session's account, as one signed request (an STS client would
    load STS's service model first, most of what a warm first test on moto paid the plugin)."""
    partition = partition_of(session.region_name)
    status, root = _signed_request.send(
        session.endpoint_url("sts"),
        service="sts",
        region=session.region_name,
        credentials=("test", "test"),
        headers=session.request_headers,
        form={
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": f"arn:{partition}:iam::{session.account_id}:role/{CHILD_ROLE_NAME}",
            "RoleSessionName": "pytest-localstack",
            "DurationSeconds": "43200",
        },
    )
    values = [
        _signed_request.texts(root, name)[:1] if root is not None else []
        for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
    ]
    if status != 200 or not all(values):
        raise RuntimeError(f"AssumeRole answered HTTP {status} without credentials")
    (key,), (secret,), (token,) = values
    return ChildIdentity(key, secret, token, session.account_id)


def environment_changes(
    session: RunningSession, directory: Path, environ: dict[str, str] | None = None
) -> dict[str, str | None]:
    """Write the config and credentials files into ``directory``; return the variables to set.

    A value of ``None`` means "remove". ``environ`` (``os.environ`` by default) is only read to
    find the service-specific endpoint variables to remove.
    """
    environ = dict(os.environ) if environ is None else environ
    identity = child_identity(session)
    endpoint_url = session.endpoint_url()
    region = session.region_name

    config_file = directory / "config"
    credentials_file = directory / "credentials"
    config_file.write_text(
        "[default]\n"
        f"region = {region}\n"
        f"endpoint_url = {endpoint_url}\n"
        "output = json\n"
        "s3 =\n"
        "    addressing_style = path\n"
    )
    credential_lines = [
        "[default]",
        f"aws_access_key_id = {identity.access_key_id}",
        f"aws_secret_access_key = {identity.secret_access_key}",
    ]
    if identity.session_token:
        credential_lines.append(f"aws_session_token = {identity.session_token}")
    credentials_file.write_text("\n".join(credential_lines) + "\n")
    for path in (config_file, credentials_file):
        path.chmod(0o600)

    changes: dict[str, str | None] = dict.fromkeys(REMOVED_VARIABLES)
    changes.update(dict.fromkeys(k for k in environ if k.startswith(SERVICE_ENDPOINT_PREFIX)))
    changes.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": identity.access_key_id,
            "AWS_SECRET_ACCESS_KEY": identity.secret_access_key,
            "AWS_SESSION_TOKEN": identity.session_token,
            "AWS_ACCOUNT_ID": identity.account_id,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": str(config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials_file),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return changes


@dataclasses.dataclass(eq=False)
class _Entry:
    """One active :func:`patch_environment`: the old values of the variables it set."""

    saved: dict[str, str | None]


#: The active environment patches, innermost last.
_stack: list[_Entry] = []


@contextlib.contextmanager
def patch_environment(session: RunningSession) -> Iterator[dict[str, str]]:
    """Point child processes at ``session``'s emulator and identity while the block runs.

    :returns: a copy of the environment as set, e.g. for ``subprocess.run(..., env=...)``.
    """
    _sweep_abandoned_directories()
    directory = Path(tempfile.mkdtemp(prefix=_DIRECTORY_PREFIX, dir=user_state_dir()))
    # Who made it: a run killed with SIGKILL cannot remove it; the next one does (see below).
    (directory / _OWNER_FILE).write_text(owner_token())
    try:
        changes = environment_changes(session, directory)
        entry = _Entry({name: os.environ.get(name) for name in changes})
        _stack.append(entry)
        try:
            _apply(changes)
            yield dict(os.environ)
        finally:
            _remove(entry)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


_DIRECTORY_PREFIX = "pytest-localstack-aws-"
_OWNER_FILE = "owner"


@functools.cache
def _sweep_abandoned_directories() -> None:
    """Remove the generated config directories of processes that were killed before they
    could, once per process: ours only (in the user's private state directory, same user, not a
    symlink), and only once the process named in its ``owner`` file is provably gone."""
    for candidate in user_state_dir().glob(_DIRECTORY_PREFIX + "*"):
        try:
            info = candidate.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            owner = (candidate / _OWNER_FILE).read_text()
        except OSError:
            continue
        if owner and not is_alive(owner):
            logger.debug("removing %s of a killed run", candidate)
            shutil.rmtree(candidate, ignore_errors=True)


def for_children(
    session: RunningSession, subprocess_env: bool | None = None
) -> contextlib.AbstractContextManager[object]:
    """:func:`patch_environment` if it is :func:`enabled` for ``session``, else nothing."""
    if not enabled(session, subprocess_env):
        return contextlib.nullcontext()
    return patch_environment(session)


def _apply(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value


def _remove(entry: _Entry) -> None:
    index = next(i for i, active in enumerate(_stack) if active is entry)
    del _stack[index]
    if index == len(_stack):
        # The innermost patch: put back what it replaced.
        _apply(entry.saved)
    else:
        # An outer patch ends first: the environment stays the inner one's, and the inner
        # patch will put back what this one replaced when it ends.
        _stack[index].saved.update(entry.saved)
