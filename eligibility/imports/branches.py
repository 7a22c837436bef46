"""The 47 branches, in memory, found by insurer number or prefecture code."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Branch
from eligibility.imports import fields
from eligibility.imports.errors import FieldError


@dataclass(frozen=True)
class BranchIndex:
    by_insurer: dict[str, int]
    by_code: dict[str, int]
    code_of: dict[int, int]

    @classmethod
    def load(cls) -> BranchIndex:
        rows = list(Branch.objects.values_list("pk", "code", "insurer_number"))
        return cls(
            by_insurer={insurer: pk for pk, _, insurer in rows},
            by_code={str(code): pk for pk, code, _ in rows},
            code_of={pk: code for pk, code, _ in rows},
        )

    def resolve(self, value: str) -> int:
        """The branch id for a 保険者番号 or 支部コード cell; raises FieldError."""
        found = self.by_insurer.get(value) or self.by_code.get(value)
        if found:
            return found
        how, canonical = fields.insurer_or_prefecture(value)
        found = (self.by_insurer if how == "insurer" else self.by_code).get(canonical)
        if found is None:
            raise FieldError(
                "該当する支部がありません（協会けんぽの支部の保険者番号ではありません）"
            )
        return found
