"""Run an emulator in a Docker container through the docker SDK."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pytest_localstack import _progress
from pytest_localstack._processes import provably_gone
from pytest_localstack._redact import redact
from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS, Emulator
from pytest_localstack.exceptions import (
    ConfigurationError,
    ImageNotFoundError,
    LocalstackError,
    StartupError,
)
from pytest_localstack.runtimes._local_socket import running_on_local_socket
from pytest_localstack.runtimes._wait import wait_until_ready
from pytest_localstack.runtimes.base import (
    LABEL,
    LABEL_HOST,
    LABEL_OWNER,
    LABEL_RUN,
    LABEL_SERVICE_PORTS,
    LABEL_UID,
    Endpoint,
    free_port,
    free_port_range,
    ignore_spawn,
)
from pytest_localstack.runtimes.docker_client import address_of, client_for
from pytest_localstack.runtimes.docker_client import connect as connect  # importable from here too
from pytest_localstack.runtimes.docker_engines import EngineAddress, find_engine, reach

logger = logging.getLogger("pytest_localstack.docker")


class DockerRuntime:
    """Starts emulator containers; the container id is the endpoint's handle."""

    name = "docker"

    def __init__(self, docker_client: Any = None) -> None:
        self._given_client = docker_client
        self._client: Any = None

    def client(self, base_url: str = "") -> Any:
        if self._client is None:
            self._client = connect(self._given_client, base_url)
        return self._client

    def profile(self, settings: Settings) -> Emulator:
        return EMULATORS[settings.emulator]

    def ensure_available(self) -> None:
        self.client()

    def remove_leftovers(self, run_id: str, recorded: list[Endpoint]) -> None:
        """Remove the containers labelled with ``run_id``, on every engine the run used."""
        try:
            import docker
        except ImportError:
            return
        hosts = {"", *(e.docker_host for e in recorded if e.engine == self.name)}
        for base_url in hosts:
            try:
                if base_url:
                    client = docker.DockerClient(base_url=base_url, timeout=10)
                else:  # the engine the run used: found the same way, from the same environment
                    client = client_for(find_engine(), timeout=10)
            except Exception:
                continue
            try:
                for container in client.containers.list(
                    all=True,
                    filters={"label": [f"{LABEL_RUN}={run_id}", f"{LABEL_UID}={os.getuid()}"]},
                    ignore_removed=True,
                ):
                    if is_ours(container):
                        container.remove(force=True)
            except Exception:
                pass  # no engine there, or it went away: nothing of ours to remove
            finally:
                client.close()

    def address(self) -> EngineAddress:
        """The engine this runtime talks to."""
        client = self.client()
        given = self._given_client is not None
        return address_of(client) if given else find_engine()

    def start(
        self,
        settings: Settings,
        emulator: Emulator,
        labels: dict[str, str],
        on_spawn: Callable[[Endpoint], None] = ignore_spawn,
    ) -> Endpoint:
        client = self.client()
        sweep_orphans(client)
        image = settings.image_for_emulator
        ensure_image(client, image, settings.pull)
        address = self.address()
        where = reach(address)
        host_network = settings.network == "host"
        if host_network and not address.is_local:
            raise ConfigurationError(
                f"--localstack-network=host needs a local Docker engine, but the engine is "
                f"{address.describe()}: the emulator would listen on that machine's loopback "
                "address. Leave --localstack-network empty to publish its port there."
            )
        if address.is_local or host_network:
            port = free_port(wanted=settings.port)
        else:
            port = settings.port  # a remote engine checks its own ports
        listen_port = port if host_network else None
        service_ports = None
        if host_network and emulator.service_ports:
            service_ports = free_port_range(
                emulator.service_ports, avoid=_service_ports_in_use(client)
            )
        environment = {
            **emulator.container_environment(
                settings,
                listen_port,
                advertised=f"{where.url_host}:{port}" if port else "",
                service_ports=service_ports,
            ),
            **dict(settings.env),
        }
        run_kwargs: dict[str, Any] = {
            "labels": labels
            if service_ports is None
            else {**labels, LABEL_SERVICE_PORTS: f"{service_ports[0]}-{service_ports[-1]}"},
            "environment": environment,
            "command": emulator.container_command(listen_port),
            "name": settings.container_name,
        }
        if host_network:
            run_kwargs["network_mode"] = "host"
        else:
            run_kwargs["ports"] = {
                f"{emulator.container_port}/tcp": (where.bind_address, port or None)
            }
            if settings.network not in ("", "bridge"):
                run_kwargs["network"] = settings.network
        # Create, record, then start: a run interrupted while the container starts (Ctrl-C,
        # SIGTERM, SIGKILL) has it recorded already, so that it is stopped all the same.
        try:
            container = client.containers.create(image, **run_kwargs)
        except Exception as error:
            raise _could_not_start(image, error) from None
        except BaseException:  # interrupted: Docker may have made it without telling us its id
            _remove_labelled(client, labels)
            raise
        what = f"{emulator.name} container {container.short_id} ({image})"
        docker_host = str(client.api.base_url) if self._given_client is not None else ""
        try:
            on_spawn(
                Endpoint(
                    url="",
                    emulator=emulator.name,
                    version="",
                    engine=self.name,
                    handle=container.id,
                    docker_host=docker_host,
                )
            )
            try:
                container.start()
            except Exception as error:
                raise _could_not_start(image, error) from None
            port = listen_port or self._published_port(container, emulator.container_port)
            url = f"{'https' if settings.use_ssl else 'http'}://{where.url_host}:{port}"
            _forward_logs(container, settings.container_log_level)
            probe = wait_until_ready(
                emulator,
                url,
                settings.start_timeout,
                exit_code=lambda: _exit_code(container),
                logs=lambda: _tail(container),
                what=what,
            )
        except BaseException:
            _remove(container)
            raise
        logger.info("%s ready at %s", what, url)
        return Endpoint(
            url=url,
            emulator=emulator.name,
            version=probe.version,
            engine=self.name,
            handle=container.id,
            docker_host=docker_host,
            remove_on_stop=settings.auto_remove,
        )

    def stop(self, endpoint: Endpoint, timeout: float) -> None:
        """Remove a throwaway container at once, with force; stop a kept one gracefully.

        A graceful stop is for state that someone keeps: LocalStack shuts down every service it
        loaded, which takes seconds (3.5 s after one S3 call, against 0.1 s for the removal).
        """
        import docker.errors

        client = self.client(endpoint.docker_host)
        try:
            container = client.containers.get(endpoint.handle)
        except docker.errors.NotFound:
            return
        if not is_ours(container):  # a record may name any id: remove only what proves ours
            logger.warning(
                "not stopping container %s: it does not carry this user's pytest-localstack labels",
                endpoint.handle[:12],
            )
            return
        if endpoint.remove_on_stop:
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as error:
                if "already in progress" not in str(error):
                    logger.warning("removing container %s failed: %s", endpoint.handle[:12], error)
            return
        try:
            container.stop(timeout=max(1, round(timeout)))
        except docker.errors.APIError as error:
            logger.warning("stopping container %s failed: %s", endpoint.handle[:12], error)

    def is_alive(self, endpoint: Endpoint) -> bool:
        if self._given_client is None and not endpoint.docker_host:
            running = running_on_local_socket(endpoint.handle)
            if running is not None:
                return running
        import docker.errors

        try:
            container = self.client(endpoint.docker_host).containers.get(endpoint.handle)
        except (docker.errors.NotFound, LocalstackError):
            return False
        return bool(container.status == "running")

    def logs(self, endpoint: Endpoint, lines: int = 50) -> str:
        try:
            return _tail(self.client(endpoint.docker_host).containers.get(endpoint.handle), lines)
        except Exception as error:
            return f"(logs unavailable: {error})"

    def ensure_image(self, image: str, pull: bool) -> None:
        """Make sure ``image`` is present, pulling it if allowed; or :class:`ImageNotFoundError`."""
        ensure_image(self.client(), image, pull)

    @staticmethod
    def _published_port(container: Any, container_port: int) -> int:
        container.reload()
        bindings = (container.ports or {}).get(f"{container_port}/tcp") or []
        if not bindings and container.status in ("exited", "dead"):
            return 0  # an exited container publishes nothing; the wait reports its exit code
        if not bindings:
            raise StartupError(
                f"Docker published no host port for {container_port}/tcp of container "
                f"{container.short_id}; its status is {container.status}",
                _tail(container),
            )
        return int(bindings[0]["HostPort"])


def ensure_image(client: Any, image: str, pull: bool) -> None:
    """Make sure ``image`` is present: pull it (showing progress) only when it is missing."""
    import docker.errors

    try:
        client.images.get(image)
        return
    except docker.errors.ImageNotFound:
        pass
    if not pull:
        raise ImageNotFoundError(
            image,
            "it is not present locally and pulling is disabled (--no-localstack-pull); "
            f"run `docker pull {image}`, build it, or choose another --localstack-image",
        )
    from docker.utils import parse_repository_tag

    repository, tag = parse_repository_tag(image)
    _progress.report(f"pulling {image} (missing locally)")
    started = time.monotonic()
    try:
        _pull_with_progress(client, repository, tag or "latest", image)
    except Exception as error:
        raise ImageNotFoundError(
            image,
            f"it is not present locally and pulling it failed ({_docker_reason(error)}); "
            "check the name and your registry access, or choose another --localstack-image",
        ) from None
    _progress.report(f"pulled {image} in {time.monotonic() - started:.0f} s")


def _pull_with_progress(client: Any, repository: str, tag: str, image: str) -> None:
    """Pull through the low-level API, reporting the bytes done every few seconds."""
    layers: dict[str, tuple[int, int]] = {}
    throttle = _progress.Throttle(5.0)
    throttle.ready()
    for event in client.api.pull(repository, tag=tag, stream=True, decode=True):
        if "error" in event:
            raise RuntimeError(event.get("error"))
        detail = event.get("progressDetail") or {}
        if event.get("id") and detail.get("total"):
            layers[event["id"]] = (int(detail.get("current", 0)), int(detail["total"]))
        if layers and throttle.ready():
            done = sum(current for current, _ in layers.values())
            total = sum(size for _, size in layers.values())
            _progress.report(
                f"pulling {image}: {_progress.human_bytes(done)} of {_progress.human_bytes(total)}"
            )


def logs_since_time(endpoint: Endpoint, since: float) -> str:
    """A container's log lines written since the wall time ``since``."""
    import docker.errors

    try:
        container = connect(None, endpoint.docker_host).containers.get(endpoint.handle)
        data = container.logs(since=since)
    except docker.errors.DockerException as error:
        return f"(emulator logs unavailable: {error})"
    return bytes(data).decode(errors="replace")


def is_ours(container: Any) -> bool:
    """Whether ``container`` carries the plugin's labels and the current user's uid: the only
    containers that a record, a label or a sweep may make this process stop or remove."""
    labels = container.labels or {}
    return labels.get(LABEL) == "1" and labels.get(LABEL_UID) == str(os.getuid())


def sweep_orphans(client: Any) -> list[str]:
    """Remove this user's containers whose owning pytest process is provably gone (killed runs).

    Runs before every start, so a run killed with SIGKILL is cleaned up at the latest by the
    next run on the same machine, even if its watchdog could not do it. The owner must be of
    this host, PID namespace and boot (see :func:`~pytest_localstack._processes.provably_gone`):
    CI jobs in containers on the host network share the host name, and their pids mean
    nothing here, so their emulators are left alone.
    """
    removed = []
    host = socket.gethostname()
    # ignore_removed: a concurrent run may remove a container between the list and its inspect.
    listed = client.containers.list(
        all=True, filters={"label": [LABEL, f"{LABEL_UID}={os.getuid()}"]}, ignore_removed=True
    )
    for container in listed:
        labels = container.labels or {}
        owner = labels.get(LABEL_OWNER, "")
        if is_ours(container) and labels.get(LABEL_HOST) == host and provably_gone(owner):
            logger.info("removing container %s of a finished run", container.short_id)
            _remove(container)
            removed.append(container.id)
    return removed


def _service_ports_in_use(client: Any) -> frozenset[int]:
    """The service ports of every emulator that runs on the host network of this engine."""
    ports: set[int] = set()
    listed = client.containers.list(filters={"label": LABEL_SERVICE_PORTS}, ignore_removed=True)
    for container in listed:
        first, _, last = (container.labels or {}).get(LABEL_SERVICE_PORTS, "").partition("-")
        if first.isdigit() and last.isdigit():
            ports.update(range(int(first), int(last) + 1))
    return frozenset(ports)


def _remove_labelled(client: Any, labels: dict[str, str]) -> None:
    """Remove the containers that carry exactly these labels (run, owner and configuration)."""
    wanted = [f"{name}={value}" for name, value in labels.items() if name != LABEL_HOST]
    try:
        listed = client.containers.list(all=True, filters={"label": wanted}, ignore_removed=True)
        for container in listed:
            _remove(container)
    except Exception as error:
        logger.debug("removing containers labelled %s: %s", wanted, error)


def _could_not_start(image: str, error: Exception) -> StartupError:
    return StartupError(
        f"Docker could not start {image}: {_docker_reason(error)}. Check the image, "
        "--localstack-network and --localstack-env."
    )


def _docker_reason(error: Exception) -> str:
    explanation = getattr(error, "explanation", None)
    return str(explanation or error).strip()


def _exit_code(container: Any) -> int | None:
    container.reload()
    if container.status in ("exited", "dead"):
        return int(container.attrs["State"]["ExitCode"])
    return None


def _tail(container: Any, lines: int = 50) -> str:
    try:
        raw: bytes = container.logs(tail=lines)
    except Exception as error:
        return f"(logs unavailable: {error})"
    return redact(raw.decode("utf-8", "replace").rstrip())


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except Exception as error:
        logger.debug("removing container %s: %s", container.short_id, error)


def _forward_logs(container: Any, level: int) -> None:
    """Copy the container's log lines to Python logging until it stops."""
    child = logger.getChild(f"containers.{container.short_id}")

    def pump() -> None:
        try:
            for line in container.logs(stream=True, follow=True):
                child.log(level, "%s", redact(line.decode("utf-8", "replace").rstrip()))
        except Exception as error:
            child.debug("log stream ended: %s", error)

    threading.Thread(target=pump, name=f"localstack-logs-{container.short_id}", daemon=True).start()
