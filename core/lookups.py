"""ORM lookups registered for the whole project (in :meth:`core.apps.CoreConfig.ready`).

:class:`RelatedExactInRange`: ``fk=<int>`` with a number outside the range of the column
matches nothing, as Django (5.0+) already does for integer fields' own ``exact``. Without it
a filter such as the admin's ``?branch=99999999999999999999`` or ``?branch__exact=…`` is an
``OverflowError`` on SQLite (its driver cannot bind the number) instead of an empty list.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedExact


class RelatedExactInRange(RelatedExact):
    lookup_name = "exact"

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        rhs = self.rhs
        if isinstance(rhs, int) and not isinstance(rhs, bool):
            field = getattr(self.lhs, "output_field", None)
            target = getattr(field, "target_field", field)
            if isinstance(target, IntegerField):
                low, high = connection.ops.integer_field_range(target.get_internal_type())
                if (low is not None and rhs < low) or (high is not None and rhs > high):
                    raise EmptyResultSet
        return super().process_rhs(compiler, connection)


def register() -> None:
    ForeignObject.register_lookup(RelatedExactInRange)
