"""Who is calling: the client's address, for per-client limits, never stored as such.

By default the address is the TCP peer's. Behind a reverse proxy every request comes from the
proxy, so the real address is in a header the proxy sets. That header is read **only when it is
configured** and only on requests whose peer is one of the configured proxies; anyone else could
write any address into it.

    WEGWIJS_CLIENT_ADDRESS_HEADER=X-Forwarded-For     # the header the proxy sets
    WEGWIJS_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16      # peers whose header is believed

In ``X-Forwarded-For`` each proxy appends the address it saw, so the client is the right-most
address that is not itself a trusted proxy.

Redis keys and metadata get a keyed hash of the address (``client_key``), never the address: an
IP address is personal data, and a hash with a secret key cannot be reversed by enumeration.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyConfigurationError(ValueError):
    pass


def parse_networks(listed: str) -> tuple[Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in listed.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ProxyConfigurationError(f"WEGWIJS_TRUSTED_PROXIES: {item!r} is not an address or network") from None
    return tuple(networks)


@dataclass(frozen=True)
class ClientAddresses:
    header: str | None = None  # lower case; None: the TCP peer is the client
    proxies: tuple[Network, ...] = field(default_factory=tuple)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def through_proxy(self, connection: HTTPConnection) -> bool:
        """Whether the request came from outside through one of the configured proxies: from a
        trusted peer, with the header it sets (a scraper on the same host sends none)."""
        if not self.header or self.header not in connection.headers:
            return False
        return self._trusted(connection.client.host if connection.client else "")

    def of(self, connection: HTTPConnection) -> str:
        """The client's address as text ("unknown" when the server has none)."""
        peer = connection.client.host if connection.client else "unknown"
        if not self.header or not self._trusted(peer):
            return peer
        hops = [hop.strip() for hop in connection.headers.get(self.header, "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _is_address(hop) else peer
        return hops[0] if hops and _is_address(hops[0]) else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_key(address: str, secret: bytes) -> str:
    """A keyed, irreversible name for a client address, safe to keep in Redis."""
    return hmac.new(secret, b"client:" + address.encode(), hashlib.sha256).hexdigest()[:32]
