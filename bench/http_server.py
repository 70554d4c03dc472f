"""A minimal HTTP/1.1 endpoint with a known service time, in a process of its own.

``GET /slow?ms=N`` answers ``ok`` after ``asyncio.sleep(N / 1000)``; anything else answers at
once. Keep-alive, one write per response and TCP_NODELAY, so the server adds well under a
millisecond to the service time (the test suite's Starlette app adds about 40 ms per response
here, which would swamp a 20 ms service time). Prints ``PORT <n>`` once it listens, then serves
until terminated.

Example: ``python bench/http_server.py``
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import parse_qs, urlsplit

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            parts = head.split(b" ", 2)
            if len(parts) < 3:
                writer.write(_BAD)
                await writer.drain()
                return
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and int(value.strip() or 0):
                    await reader.readexactly(int(value.strip()))
            url = urlsplit(parts[1].decode("latin-1"))
            if url.path == "/slow":
                ms = float(parse_qs(url.query).get("ms", ["20"])[0])
                await asyncio.sleep(ms / 1000)
            writer.write(_OK)
            await writer.drain()
    finally:
        writer.close()


async def _main() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=256)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main())
