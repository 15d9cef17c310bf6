"""How ``serve`` writes its log: one line per record, with the request's id.

Two formats (``DECONFLICT_LOG_FORMAT``): ``text`` for a person at a terminal, ``json`` (one
object a line) for a log pipeline. Both carry ``request_id`` (``request_id.py`` puts it on
every record), so a 500's error id finds its traceback. The standard library only: the
records come from uvicorn, SQLAlchemy and our modules alike, and a formatter on the root
handler reaches them all.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from deconflict.settings import LogFormat

TEXT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO 8601), level, logger, request id,
    message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RequestIdDefault(logging.Filter):
    """``-`` for a record made before the id's record factory was installed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


def log_config(fmt: LogFormat, level: str = "WARNING") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (uvicorn's ``log_config``): every logger, uvicorn's
    included, to stderr in ``fmt``, at ``level`` and above."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if fmt == "json" else {"format": TEXT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "filters": {"request_id": {"()": f"{__name__}.RequestIdDefault"}},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
