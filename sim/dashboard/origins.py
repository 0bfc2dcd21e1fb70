"""Which web pages may drive the workshop page: the websocket's origin policy (no web framework here).

A browser sends the address of the page that opens a websocket in its ``Origin`` header. The
server accepts the websocket only from the pages it serves itself, so a web page a participant
happens to open elsewhere cannot drive the session. The rule (docs/dashboard.md, "Who can
connect"):

- a loopback bind (all of 127.0.0.0/8, ``::1``, ``localhost``): the address given and
  ``localhost``, with the port;
- any other address or name: that address with the port;
- 0.0.0.0, ``::`` or the empty host (every interface): this machine's own addresses and
  names with the port, loopback included;
- and, in every case, the ``HOST:PORT`` origins the trainer adds (``--allow-origin``), e.g. the
  name the room uses for this machine.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from collections.abc import Iterable, Sequence

WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback address (the whole of 127.0.0.0/8, and ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def origin(host: str, port: int) -> str:
    """``HOST:PORT`` as a browser's ``Origin`` header names it (lower case; IPv6 in brackets)."""
    name = host.strip("[]").lower()
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(name).version == 6:
            name = f"[{name}]"
    return f"{name}:{port}"


def parse_origin(text: str) -> str:
    """A trainer's ``HOST:PORT`` (``--allow-origin``) as an origin; IPv6 as ``[ADDRESS]:PORT``.

    Raises:
        ValueError: if `text` is not ``HOST:PORT`` with a port from 1 to 65535 (the message names it).
    """
    value = text.strip()
    for prefix in ("http://", "https://"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :].rstrip("/")
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"an origin is HOST:PORT, e.g. workshop.local:5006 (got {text!r})")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"an IPv6 origin is [ADDRESS]:PORT (got {text!r})")
    elif ":" in host or "*" in host or "/" in host:
        raise ValueError(f"an origin is HOST:PORT, one host, no wildcard (got {text!r})")
    return origin(host, int(port))


def _resolved(name: str) -> set[str]:
    try:
        return {str(info[4][0]).split("%", 1)[0] for info in socket.getaddrinfo(name, None)}
    except (OSError, UnicodeError):
        return set()


def _outbound(family: socket.AddressFamily, target: str) -> set[str]:
    """The address this machine would send from (a UDP "connect" sends nothing)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            return {str(probe.getsockname()[0]).split("%", 1)[0]}
    except OSError:
        return set()


def _interface_addresses() -> set[str]:
    """Every interface's IPv4 address (Linux: SIOCGIFADDR) and IPv6 address (/proc/net/if_inet6)."""
    found: set[str] = set()
    if not sys.platform.startswith("linux"):
        return found
    import fcntl
    import struct

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            with contextlib.suppress(OSError):
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
                found.add(socket.inet_ntoa(packed[20:24]))
    with contextlib.suppress(OSError), open("/proc/net/if_inet6", encoding="ascii") as table:
        for line in table:
            digits = line.split()[0]
            found.add(str(ipaddress.IPv6Address(int(digits, 16))))
    return found


def machine_hosts() -> set[str]:
    """This machine's names and addresses: the hosts a page served on every interface can be opened at."""
    names = {socket.gethostname(), socket.getfqdn(), "localhost", "127.0.0.1", "::1"}
    hosts = {n.lower() for n in names if n}
    for name in list(hosts):
        hosts |= _resolved(name)
    hosts |= _outbound(socket.AF_INET, "192.0.2.1") | _outbound(socket.AF_INET6, "2001:db8::1")
    hosts |= _interface_addresses()
    return hosts


def allowed_origins(host: str, port: int, extra: Iterable[str] = ()) -> list[str]:
    """The origins (``HOST:PORT``) whose pages may open the page's websocket, for a server on `host`:`port`.

    Args:
        host: the address the server listens on (``--host``).
        port: its port.
        extra: origins the trainer adds (``--allow-origin HOST:PORT``).

    Raises:
        ValueError: if an origin of `extra` is not ``HOST:PORT``.
    """
    added = [parse_origin(text) for text in extra]
    if host in WILDCARD_HOSTS:
        hosts: Sequence[str] = sorted(machine_hosts())
    elif host.lower() == "localhost":
        hosts = ["localhost", "127.0.0.1", "::1"]
    elif is_loopback(host):
        hosts = [host, "localhost"]
    else:
        hosts = [host]
    out: list[str] = []
    for value in [*(origin(h, port) for h in hosts), *added]:
        if value not in out:
            out.append(value)
    return out


def free_port(host: str) -> int:
    """A port free on `host` now (for ``--port 0``: the server then listens on it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
