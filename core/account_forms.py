"""The staff-account forms of the user admin for everyone but superusers: they offer only what
the editor may grant (core.accounts) and nothing else: no superuser status, no permissions,
no groups beyond the grantable roles, no branch but the editor's own for a branch editor."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.contrib.auth.models import Group

from core import accounts
from core.models import Branch, User

#: The model fields the staff forms write (besides the roles and, when adding, the password).
ACCOUNT_FIELDS = ["username", "last_name", "first_name", "email", "is_active", "branch"]


class StaffAccountForm(forms.ModelForm):
    """Change a staff account. ``editor`` is set on a subclass by the admin (get_form)."""

    editor: ClassVar[Any] = None

    roles = forms.ModelMultipleChoiceField(
        label="役割",
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="付与できる役割だけが表示されます。",
    )

    class Meta:
        model = User
        fields = ACCOUNT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editor = self.editor
        if editor is None:
            raise ValueError("StaffAccountForm needs an editor")
        self.fields["roles"].queryset = Group.objects.filter(  # type: ignore[attr-defined]
            name__in=accounts.grantable_roles(editor)
        ).order_by("name")
        if self.instance.pk is not None:
            self.initial.setdefault("roles", list(self.instance.groups.all()))
        branch = self.fields.get("branch")
        if isinstance(branch, forms.ModelChoiceField):
            if editor.is_headquarters:
                branch.queryset = Branch.objects.order_by("code")
                branch.empty_label = "本部（支部なし）"
                branch.required = False
            else:
                branch.queryset = Branch.objects.filter(pk=editor.branch_id)
                branch.empty_label = None
                branch.required = True
                branch.initial = editor.branch_id
                branch.help_text = "自分の支部の職員のみ登録・変更できます。"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        roles = [group.name for group in cleaned.get("roles") or []]
        if "branch" in self.fields and "branch" not in self.errors:
            problems = accounts.account_problems(
                editor=self.editor, branch=cleaned.get("branch"), roles=roles
            )
            for name, messages in problems.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned

    def account(self) -> accounts.StaffAccount:
        data = self.cleaned_data
        return accounts.StaffAccount(
            username=data["username"],
            last_name=data.get("last_name", ""),
            first_name=data.get("first_name", ""),
            email=data.get("email", ""),
            is_active=bool(data.get("is_active")),
            branch=data.get("branch"),
            roles=[group.name for group in data.get("roles") or []],
            password=data.get("password1") or None,
        )


class StaffAccountCreationForm(SetPasswordMixin, StaffAccountForm):
    """Add a staff account, with its initial password (checked by the password validators)."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self) -> dict[str, Any]:
        self.validate_passwords()
        return super().clean()

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm's, through the MRO
        self.validate_password_for_user(self.instance)
