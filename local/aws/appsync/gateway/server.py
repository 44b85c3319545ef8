"""Serves an ASGI app with uvicorn on a thread of this process, on 127.0.0.1, until stopped."""

import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from local.aws.appsync.gateway.tls import TlsFiles
from local.errors import LocalError

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10
BACKLOG = 2048
"""Connections waiting to be accepted, as uvicorn's default."""
EVENT_LOOP = "asyncio" if sys.platform == "win32" else "uvloop"
"""uvloop (libuv, in C) runs the event loop wherever it is built (not on Windows): with it a
booking cost the cloud 13% less CPU at concurrency 10, and 8 ms less one at a time."""
TICK_SECONDS = 1.0
"""How often a server looks at the time, for its `Date` header (to the second)."""


class PortInUse(LocalError):
    """Another program listens on a port the local cloud was told to use."""


class _QuietServer(uvicorn.Server):
    """uvicorn's server, waking once a second instead of ten times, and at once when stopped.

    uvicorn's loop sleeps 0.1 s at a time to see whether it should stop and, every tenth time,
    to refresh its `Date` header. At rest that was two thirds of the local cloud's CPU (two
    servers, 20 wakes a second), and it cost one process up to twice what it cost another
    alike (0.09 to 0.19 ms a wake), so rest's share of the bench's table swung by a third.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stopped: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._stopped, self._loop = asyncio.Event(), asyncio.get_running_loop()
        while not await self.on_tick(0):  # tick 0: each tick refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), TICK_SECONDS)

    def stop(self) -> None:
        """Stops serving, from any thread."""
        self.should_exit = True
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ensure_free(port: int, setting: str) -> None:
    """Refuses a port another program holds, naming the setting that chose it."""
    listening_socket(port, setting).close()


def listening_socket(port: int = 0, setting: str | None = None) -> socket.socket:
    """A socket listening on 127.0.0.1:<port> (a free port if 0), to hand to `serving`;
    refused, naming the setting that chose it, if another program holds the port. Connections
    wait in its backlog until a server serves on it.

    Holding the port from the start matters: a port found free but bound only later can be
    taken meanwhile as the local end of any connection the machine opens (they come from the
    same range). A resumed cloud, seconds between the two while it loaded its state, once lost
    its gateway's port that way."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds its own
    try:
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
    except OSError:
        listener.close()
        choose = f", or choose another with {setting}" if setting else ""
        raise PortInUse(
            f"port {port} on {HOST} is in use (another `make dev`?): stop what holds it{choose}"
        ) from None
    return listener


@contextmanager
def serving(
    app: Any, listener: socket.socket | int = 0, tls: TlsFiles | None = None
) -> Iterator[str]:
    """The app at `http://127.0.0.1:<port>` while the block runs: on a `listening_socket`, or
    on a port (a free one if 0); with `tls`, at `https://` (and `wss://`) with that
    certificate. The socket is closed after."""
    if isinstance(listener, int):
        listener = listening_socket(listener)
    port = listener.getsockname()[1]
    certificate = (
        {"ssl_certfile": str(tls.cert_file), "ssl_keyfile": str(tls.key_file)} if tls else {}
    )
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        lifespan="off",
        http="httptools",  # parses requests in C: a third of a small request's cost with h11
        loop=EVENT_LOOP,
        **certificate,
    )
    server = _QuietServer(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=f"gateway-{port}", daemon=True
    )
    with listener:
        thread.start()
        for _ in range(START_TIMEOUT_SECONDS * 100):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not server.started:
            server.stop()
            raise PortInUse(f"the gateway could not listen on {HOST}:{port}")
        try:
            yield f"{'https' if tls else 'http'}://{HOST}:{port}"
        finally:
            server.stop()
            thread.join(timeout=START_TIMEOUT_SECONDS)
