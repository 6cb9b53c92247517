"""The client's address, the key of every per-client budget.

Behind a load balancer every request arrives from the balancer's address, so all
clients would share one budget. `KEFU_TRUSTED_PROXIES` names the proxies (addresses or
networks, comma-separated) whose `X-Forwarded-For` is believed: the header is read from
the right, skipping trusted hops, and the first address that is not a trusted proxy is
the client. Without trusted proxies the header is ignored — anyone can write it.
(uvicorn's own proxy-header handling is switched off in `kefu serve` so this function is
the one place that decides.)"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import Request

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def parse_trusted(spec: str) -> tuple[tuple[IpNetwork, ...], frozenset[str]]:
    """Networks, plus literal names (e.g. `testclient`) that are not addresses."""
    networks: list[IpNetwork] = []
    names: set[str] = set()
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item)
    return tuple(networks), frozenset(names)


def is_trusted(host: str, spec: str) -> bool:
    networks, names = parse_trusted(spec)
    if host in names:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def resolve_client(peer: str, forwarded_for: str | None, trusted_spec: str) -> str:
    if not trusted_spec or not is_trusted(peer, trusted_spec) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted_spec):
            return hop[:64]
    return hops[0][:64] if hops else peer


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    spec = request.app.state.kefu.settings.trusted_proxies
    return resolve_client(peer, request.headers.get("x-forwarded-for"), spec)
