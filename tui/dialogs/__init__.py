"""Modal dialogs: confirm, text prompt, choice list (choices.py), file picker (picker.py),
and a generic form (form.py) of Fields (fields.py)."""

from __future__ import annotations

from tui.dialogs.choices import ChoiceDialog, ConfirmDialog, TextPrompt
from tui.dialogs.fields import Field, OnOff, parse_field
from tui.dialogs.form import FormDialog, push_form
from tui.dialogs.picker import FilePicker

__all__ = ["ChoiceDialog", "ConfirmDialog", "Field", "FilePicker", "FormDialog", "OnOff", "TextPrompt", "parse_field", "push_form"]
