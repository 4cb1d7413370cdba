"""The client's end of a warm server's private channel: two pipes handed to the sandboxed
process as extra descriptors (``--channel R,W``), JSON lines each way.

Not stdin/stdout: a sandbox's init process (bubblewrap's PID 1) keeps descriptors 0, 1 and 2
and can be reached through ``/proc`` from inside; the extra descriptors only the server holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any

__all__ = ["Channel"]

_STREAM_LIMIT = 16 * 1024 * 1024  # the longest answer line


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Channel:
    """Two pipes: ``server_fds`` (requests' read end, answers' write end) go to the server;
    this end writes requests and reads answers."""

    def __init__(self) -> None:
        self._requests_r, self._requests_w = os.pipe()
        self._answers_r, self._answers_w = os.pipe()
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._lock = asyncio.Lock()

    @property
    def server_fds(self) -> tuple[int, int]:
        return self._requests_r, self._answers_w

    def argument(self) -> str:
        return f"--channel={self._requests_r},{self._answers_w}"

    async def connect(self) -> None:
        """Once the server has started: close its ends here, read the answers."""
        self._close_server_fds()
        loop = asyncio.get_running_loop()
        reader = self._reader = asyncio.StreamReader(limit=_STREAM_LIMIT, loop=loop)
        answers, self._answers_r = self._answers_r, -1  # the transport's from now on
        self._transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(answers, "rb", buffering=0))

    def _close_server_fds(self) -> None:
        for fd in self.server_fds:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._requests_r = self._answers_w = -1

    async def send(self, message: dict[str, Any]) -> None:
        """One request line (in a worker thread: a long one may fill the pipe)."""
        data = (json.dumps(message) + "\n").encode()
        if self._requests_w < 0:
            raise BrokenPipeError("the server's channel is closed")
        async with self._lock:
            try:
                await asyncio.to_thread(_write_all, self._requests_w, data)
            except OSError as exc:
                raise BrokenPipeError(f"the server's channel is closed: {exc}") from exc

    async def receive(self) -> dict[str, Any] | None:
        """The next answer that is a JSON object; None when the server has gone."""
        assert self._reader is not None
        while line := await self._reader.readline():
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if isinstance(answer, dict):
                return answer
        return None

    def close(self) -> None:
        """Close this end: the server sees the end of its requests."""
        self._close_server_fds()
        for fd in (self._requests_w, self._answers_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._requests_w = self._answers_r = -1
        if self._transport is not None:
            self._transport.close()
            self._transport = None
