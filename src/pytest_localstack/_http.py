"""Tiny HTTP GET for probes: stdlib only, and never through a proxy.

Probes talk to an emulator on a known host; a proxy from the environment (corporate proxies,
or the dead proxy the test machine uses) must not be consulted for them.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ProbeFailed(Exception):
    """The endpoint did not answer, or answered with an error status."""


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes, dict[str, str]]:
    """Return status, body and headers of a GET, or raise :class:`ProbeFailed`."""
    try:
        with _opener.open(url, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers.items())
    except (OSError, ValueError) as error:
        raise ProbeFailed(str(error)) from error


def proxy_for(url: str) -> str:
    """The proxy that botocore would use for ``url`` from the environment, or ""."""
    parsed = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme, "")
    if not proxy or urllib.request.proxy_bypass(parsed.netloc):
        return ""
    return proxy


def proxy_warning(url: str) -> str:
    """What to tell the user when a proxy from the environment covers the emulator, or ""."""
    proxy = proxy_for(url)
    if not proxy:
        return ""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return (
            f"the proxy {proxy} from the environment is not bypassed for {host} (NO_PROXY): "
            "redirected botocore clients send directly anyway, but child processes and other "
            f"HTTP clients would use the proxy; add {host} to NO_PROXY"
        )
    return (
        f"botocore sends requests for {url} through the proxy {proxy}; "
        "add the emulator's host to NO_PROXY"
    )
