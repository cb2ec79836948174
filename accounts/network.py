"""Where a request comes from: the client's address, through the proxies the site trusts.

Behind a proxy every visitor reaches Django from the proxy's address, so limits keyed by
`REMOTE_ADDR` would count all visitors as one. `TRUSTED_PROXIES` (settings, from the
environment) lists the proxies' addresses or networks; a request arriving from one of them is
attributed to the right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
A request from anywhere else is attributed to `REMOTE_ADDR`, whatever it claims.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _parse(address)
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return parsed is not None and any(parsed in network for network in networks)


def client_address(request) -> str:
    """The visitor's address: `REMOTE_ADDR`, or what trusted proxies say they saw."""
    remote = request.META.get("REMOTE_ADDR") or ""
    if not is_trusted_proxy(remote):
        return remote or UNKNOWN
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop):
            return hop if _parse(hop) is not None else UNKNOWN
    return hops[0] if hops else remote


def client_block(address: str) -> str:
    """What one client may hold: its IPv4 address, or the /64 network of its IPv6 address
    (a host is usually given a whole /64 and may use any address in it)."""
    parsed = _parse(address)
    if parsed is None or parsed.version == 4:
        return address
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
