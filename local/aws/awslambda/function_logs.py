"""Each function's output as CloudWatch Logs events in its log group (moto's, in-process), so
`aws logs tail <group> --follow` against the local AWS endpoint shows what the function
printed. Lines are gathered and sent about once a second, one stream per function per run
(named as Lambda names them), never on the function's own time."""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

FLUSH_SECONDS = 1.0
log = logging.getLogger("local.aws.awslambda.function_logs")


class FunctionLogs:
    def __init__(self, logs: Any, group_of: Callable[[str], str]) -> None:
        self.logs = logs
        self.group_of = group_of
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._streams: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="function logs", daemon=True)

    def add(self, function: str, text: str) -> None:
        stamp = int(time.time() * 1000)
        events = [{"timestamp": stamp, "message": line} for line in text.splitlines() if line]
        if events:
            with self._lock:
                self._pending.setdefault(function, []).extend(events)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for function, events in pending.items():
            try:
                group = self.group_of(function)
                stream = self._stream(function, group)
                self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            except Exception as error:  # the function's output is in its file either way
                log.warning("%s: its log lines could not be sent: %s", function, error)

    def _stream(self, function: str, group: str) -> str:
        if function not in self._streams:
            day = datetime.now(UTC).strftime("%Y/%m/%d")
            name = f"{day}/[$LATEST]{uuid.uuid4().hex}"
            self.logs.create_log_stream(logGroupName=group, logStreamName=name)
            self._streams[function] = name
        return self._streams[function]

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()
