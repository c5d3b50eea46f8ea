"""A TCP proxy between the services and the broker, run in a thread of the drill process, to
make Kafka unreachable on purpose. The broker listens behind it and advertises the proxy's
address (`Stack(broker_listener=...)`), so every client, after any reconnection or metadata
refresh, comes back through the proxy and not around it.

- `cut()`: every open connection is dropped and new ones are refused (the listening socket is
  closed), until `restore()`;
- `mute()`: requests still reach the broker, but its answers are held back (a produce the
  broker has taken is never acknowledged), until `restore()`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


class Proxy:
    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.listen = listen
        self.target = target
        self.connections = 0  # accepted since the start
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._answers = asyncio.Event()  # set: broker answers flow to the clients
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def start(self) -> Proxy:
        self._thread.start()
        self._run(self._listen())
        return self

    def stop(self) -> None:
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self) -> None:
        self._run(self._close())

    def mute(self) -> None:
        self._loop.call_soon_threadsafe(self._answers.clear)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(self._answers.set)
        if self._server is None:
            self._run(self._listen())

    async def _listen(self) -> None:
        self._answers.set()
        self._server = await asyncio.start_server(self._accept, *self.listen, reuse_address=True)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._open |= {client_w, broker_w}
        await asyncio.gather(
            self._pump(client_r, broker_w, None),
            self._pump(broker_r, client_w, self._answers),
            return_exceptions=True,
        )
        for writer in (client_w, broker_w):
            self._open.discard(writer)
            writer.transport.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event | None
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if gate is not None:
                    await gate.wait()
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.transport.abort()  # one side gone: the other goes too
