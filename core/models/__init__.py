from core.models.audit import AuditEvent
from core.models.branch import Branch
from core.models.user import User

__all__ = ["AuditEvent", "Branch", "User"]
