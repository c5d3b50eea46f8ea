"""Where a webhook may connect. The host is resolved here, each answer checked, and the
connection opened to the checked IP itself (TLS still names the host, the Host header stays),
so a name that answers a public address at registration and a private one later is refused
when it is sent to, not only when it is registered."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlparse

import httpcore
import httpx

from shared.errors import bad_input
from shared.http import tls_context

METADATA_HOSTS = {"169.254.169.254", "fd00:ec2::254", "metadata.google.internal"}

Resolver = Callable[[str, int], Awaitable[list[str]]]


class RefusedAddress(httpcore.ConnectError):
    """The host resolves to an address a webhook must not reach."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64, RFC 6052 and 8215):
# a translator on the path would connect to that IPv4 address.
NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches: IPv4-mapped (`::ffff:a.b.c.d`), 6to4
    (`2002::/16`) or NAT64 (`64:ff9b::/96`); None for a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _reached(address: str) -> list[Address]:
    """The address as resolved and, for IPv6 that embeds IPv4, the IPv4 address behind it."""
    ip = ipaddress.ip_address(address.split("%")[0])
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return [ip] if inner is None else [inner, ip]


def refusal(host: str, address: str, *, allow_loopback: bool) -> str | None:
    """Why `host` must not be reached at `address`, or None when it may. Only globally
    routable addresses (`is_global`) are reached, judged for IPv4 embedded in IPv6 too, so
    shared address space (`100.64.0.0/10`) and 6to4 or NAT64 forms of private or metadata
    addresses are refused; `allow_loopback` (local development) admits loopback and private
    addresses, never link-local or metadata ones."""
    reached = _reached(address)
    for ip in reached:
        if ip.is_link_local or str(ip) in METADATA_HOSTS:
            return f"{host} is a link-local or metadata address ({ip})"
    for ip in reached:
        if ip.is_global and not ip.is_multicast:
            continue
        if allow_loopback and (ip.is_loopback or ip.is_private) and not ip.is_multicast:
            continue
        return f"{host} is not a globally routable address ({ip})"
    return None


async def allowed_addresses(
    host: str, port: int, *, allow_loopback: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """The addresses `host` resolves to, all allowed; RefusedAddress if any is not (a name
    with one private answer among public ones is as dangerous as one with only that)."""
    if host in METADATA_HOSTS:
        raise RefusedAddress(f"{host} is a cloud metadata address")
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise RefusedAddress(f"the host {host} does not resolve") from exc
    if not addresses:
        raise RefusedAddress(f"the host {host} does not resolve")
    for address in addresses:
        reason = refusal(host, address, allow_loopback=allow_loopback)
        if reason:
            raise RefusedAddress(reason)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the check between resolving and connecting, and again
    on the connected socket's peer address."""

    def __init__(self, *, allow_loopback: bool, resolve: Resolver = system_resolver) -> None:
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await allowed_addresses(
                    host, port, allow_loopback=self._allow_loopback, resolve=self._resolve
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        error: Exception = RefusedAddress(f"the host {host} does not resolve")
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            await self._check_peer(host, stream)
            return stream
        raise error

    async def _check_peer(self, host: str, stream: httpcore.AsyncNetworkStream) -> None:
        peer = stream.get_extra_info("server_addr")
        reason = (
            refusal(host, str(peer[0]), allow_loopback=self._allow_loopback)
            if peer
            else f"no peer address for {host}"
        )
        if reason:
            await stream.aclose()
            raise RefusedAddress(reason)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("webhooks do not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose connections go through GuardedBackend.
    No proxy: a proxy would resolve the name itself, past the check. No kept-alive
    connections: each delivery resolves and is checked anew."""

    def __init__(self, *, allow_loopback: bool, resolve: Resolver = system_resolver) -> None:
        super().__init__(verify=tls_context())
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(),
            max_keepalive_connections=0,
            network_backend=GuardedBackend(allow_loopback=allow_loopback, resolve=resolve),
        )


def webhook_client(
    *, timeout: float, allow_loopback: bool, resolve: Resolver = system_resolver
) -> httpx.AsyncClient:
    transport = GuardedTransport(allow_loopback=allow_loopback, resolve=resolve)
    # trust_env off: proxy variables would mount transports that bypass the guard
    return httpx.AsyncClient(timeout=timeout, transport=transport, trust_env=False)


async def check_url(
    url: str,
    *,
    allow_loopback: bool,
    field: str = "input.url",
    resolve: Resolver = system_resolver,
) -> str:
    """Refuses what a webhook must never reach: other schemes, cloud metadata, link-local
    addresses, and (unless allowed, for local development) loopback and private hosts. The
    delivery worker checks again at each send (`GuardedBackend`)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_input(field, "a webhook URL must be http:// or https:// with a host")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        await allowed_addresses(
            parsed.hostname, port, allow_loopback=allow_loopback, resolve=resolve
        )
    except (RefusedAddress, ValueError) as exc:
        raise bad_input(field, str(exc)) from exc
    return url
