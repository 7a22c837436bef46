from applications.models.application import (
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    ReceiptCounter,
    StatusChange,
)

__all__ = [
    "Application",
    "ApplicationAttachment",
    "ApplicationStatus",
    "ReceiptCounter",
    "StatusChange",
]
