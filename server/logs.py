"""What `rtcshim serve` logs, and how: text lines as uvicorn writes them, or one JSON object a line.

The `rtcshim` loggers say, at INFO, when a session opens and closes, when a peer connection
is made, changes state or closes, and every error a page is answered with; DEBUG adds the
detail (frame dumps, dropped candidates). Their records carry the objects they are about as
extra fields (`session`, `origin`, `pc`, `call`, `error_name`, ...): a JSON line holds them.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
from typing import Any

import uvicorn.config

LOG_FORMATS = ("text", "json")

# What every LogRecord has; the rest of a record's attributes are the `extra` of its call.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "color_message",  # uvicorn's colored copy of the message
}


def short_handle(guid: str) -> str:
    """A handle short enough for a log line and still telling a page's objects apart:
    `PeerConnection@k3J9xQ` for `PeerConnection@k3J9xQ...` (24 random characters)."""
    interface, at, name = guid.partition("@")
    return f"{interface[:32]}{at}{name[:6]}"  # a page's bad handle may be long


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the
    record's extra fields, and the traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((key, value) for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def logging_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging configuration (its `log_config`) with the `rtcshim` loggers at
    `level` on uvicorn's stderr handler; with `log_format` "json", every line, uvicorn's
    too, is a JSON object. A level logging does not know is a ValueError (from dictConfig)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}: choose {' or '.join(LOG_FORMATS)}")
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    if log_format == "json":
        json_formatter = {"()": f"{__name__}.JsonFormatter"}
        config["formatters"] = {"default": json_formatter, "access": json_formatter}
    else:
        config["formatters"]["rtcshim"] = {
            **config["formatters"]["default"], "fmt": "%(levelprefix)s %(name)s: %(message)s",
        }
    config["handlers"]["rtcshim"] = {
        **config["handlers"]["default"], "formatter": "rtcshim" if log_format == "text" else "default",
    }
    # Not propagated: the process's root logger is not ours to write through (uvicorn's are not either).
    config["loggers"]["rtcshim"] = {"handlers": ["rtcshim"], "level": level.upper(), "propagate": False}
    return config
