"""The catalogue of electronic application forms (seed 000), versioned.

Use :func:`get_form` / :func:`all_forms` to look forms up and :func:`validate_form_data` to
check what a member entered; see :mod:`.schema` for the shape of a form and
:mod:`.definitions` for the forms themselves.
"""

from applications.forms_catalogue.errors import FormDataError
from applications.forms_catalogue.registry import (
    UnknownFormError,
    all_forms,
    get_form,
    validate_attachments,
    validate_form_data,
)
from applications.forms_catalogue.schema import AttachmentSpec, FieldSpec, FormDefinition

__all__ = [
    "AttachmentSpec",
    "FieldSpec",
    "FormDataError",
    "FormDefinition",
    "UnknownFormError",
    "all_forms",
    "get_form",
    "validate_attachments",
    "validate_form_data",
]
