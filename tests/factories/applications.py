from __future__ import annotations

import factory
from django.utils import timezone

from applications.models import Application, ApplicationStatus, StatusChange
from tests.factories.core import MemberUserFactory
from tests.factories.eligibility import InsuredRecordFactory


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A filed application (受付). Member fields are copied from the record, as filing does."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    class Params:
        reviewing = factory.Trait(status=ApplicationStatus.REVIEWING)
        returned = factory.Trait(
            status=ApplicationStatus.RETURNED, status_comment="添付書類が不足しています。"
        )
        completed = factory.Trait(status=ApplicationStatus.COMPLETED)
        draft = factory.Trait(
            status=ApplicationStatus.DRAFT, receipt_number=None, submitted_at=None
        )

    applicant = factory.SubFactory(MemberUserFactory)
    record = factory.SubFactory(InsuredRecordFactory)
    branch = factory.SelfAttribute("record.branch")
    insurer_name = factory.LazyAttribute(lambda o: o.record.branch.insurer_name)
    symbol = factory.SelfAttribute("record.symbol")
    number = factory.SelfAttribute("record.number")
    branch_number = factory.SelfAttribute("record.branch_number")
    name = factory.SelfAttribute("record.name")
    name_kana = factory.SelfAttribute("record.name_kana")
    sex = factory.SelfAttribute("record.sex")
    birth_date = factory.SelfAttribute("record.birth_date")
    form_code = "gendogaku"
    form_version = 1
    status = ApplicationStatus.RECEIVED
    receipt_number = factory.Sequence(lambda n: f"20261122{n:08d}")
    submitted_at = factory.LazyFunction(timezone.now)
    data = factory.LazyFunction(dict)

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create and obj.status != ApplicationStatus.DRAFT:
            StatusChange.objects.create(
                application=obj, from_status="", to_status=ApplicationStatus.RECEIVED
            )
