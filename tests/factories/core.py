from __future__ import annotations

import factory

from core.models import Branch, User

PASSWORD = "test-pass-1234"


def branch(code: int = 13) -> Branch:
    """Branches are reference data created by migration: fetch, never create."""
    return Branch.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "山田"
    first_name = "太郎"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # Save once after every post-generation step (the password hash among them).
        if create:
            instance.save()


class BranchStaffFactory(UserFactory):
    kind = User.Kind.STAFF
    is_staff = True
    branch = factory.LazyFunction(branch)


class HeadquartersStaffFactory(UserFactory):
    kind = User.Kind.STAFF
    is_staff = True
    branch = None


class MemberUserFactory(UserFactory):
    kind = User.Kind.MEMBER
    password = factory.PostGenerationMethodCall("set_unusable_password")


class AttorneyFactory(UserFactory):
    kind = User.Kind.ATTORNEY
    attorney_registration_number = factory.Sequence(lambda n: f"1399{n:04d}")
