"""No log line carries a My Number: every log record is masked when it is made.

:func:`configure` is Django's ``LOGGING_CONFIG``: it applies ``LOGGING`` and installs a log
record factory that passes each record's message, traceback and stack through
:func:`core.personal_ids.mask_my_numbers`. A factory, not only a handler filter, because
handlers come and go outside ``LOGGING``: a Celery worker replaces the root logger's
handlers with its own, pytest adds its capture handler. :class:`MaskMyNumbers`, the same
masking as a filter, is set on the handlers of ``LOGGING`` for records made elsewhere
(``logging.makeLogRecord``, a record received from another process).

A record is only rewritten when masking changes it (then its ``args`` are merged into
``msg``); any other record is left exactly as it was.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from core.personal_ids import mask_my_numbers

_MASKED = "_my_numbers_masked"
_plain = logging.Formatter()


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ``record`` in place and return it. Once per message: a record whose ``msg`` and
    ``args`` were set after it was made (``logging.makeLogRecord``) is masked again."""
    done = getattr(record, _MASKED, None)
    if done is not None and done[0] is record.msg and done[1] is record.args:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a wrong format: the handler reports it when it formats the record
        message = None
    if message is not None:
        safe = mask_my_numbers(message)
        if safe != message:
            record.msg, record.args = safe, None
    if record.exc_info and not record.exc_text:
        text = _plain.formatException(record.exc_info)
        safe = mask_my_numbers(text)
        if safe != text:
            record.exc_text = safe  # the formatters use it instead of formatting again
    elif record.exc_text:
        record.exc_text = mask_my_numbers(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_my_numbers(record.stack_info)
    setattr(record, _MASKED, (record.msg, record.args))
    return record


class MaskMyNumbers(logging.Filter):
    """Masks the record (see :func:`mask_record`); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_record_factory() -> None:
    """Mask every record made from now on in this process (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, _MASKED, False):  # already the masking factory
        return

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    setattr(masking_factory, _MASKED, True)
    logging.setLogRecordFactory(masking_factory)


def configure(config: dict[str, Any]) -> None:
    """Django's ``LOGGING_CONFIG``: ``LOGGING`` applied, then the masking factory."""
    logging.config.dictConfig(config)
    install_record_factory()
