"""What the parts' views share: a service's ValidationError shown on the form."""

from django.core.exceptions import ValidationError


def show_error(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
