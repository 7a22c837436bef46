"""The notices app's models live in their rooms (``batches``, ``delivery``); Django finds
them here."""

from notices.batches.models import (
    MailingBatch,
    MailingChunk,
    MailingItem,
    OutputChunk,
    TrackedRange,
)
from notices.delivery.models import ReturnedMail

__all__ = [
    "MailingBatch",
    "MailingChunk",
    "MailingItem",
    "OutputChunk",
    "ReturnedMail",
    "TrackedRange",
]
