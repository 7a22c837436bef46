"""受付番号: YYYYMMDD + the day's serial, from a counter row locked until commit."""

from __future__ import annotations

from datetime import date

from applications.models import ReceiptCounter

#: Serial digits of the 受付番号 (YYYYMMDD + serial = 16 characters).
RECEIPT_SERIAL_DIGITS = 8


def _next_receipt_number(day: date) -> str:
    """YYYYMMDD + the day's next serial; the counter row stays locked until commit."""
    counter = ReceiptCounter.objects.select_for_update().get(day=day)
    counter.last += 1
    if counter.last >= 10**RECEIPT_SERIAL_DIGITS:
        raise RuntimeError(f"receipt serials exhausted for {day}")
    counter.save(update_fields=["last"])
    return f"{day:%Y%m%d}{counter.last:0{RECEIPT_SERIAL_DIGITS}d}"
