"""Modal dialogs: confirm (and AgainDialog), text prompt, number prompt, choice list (choices.py), file picker (picker.py),
and a generic form (form.py) of Fields (fields.py)."""

from __future__ import annotations

from tui.dialogs.choices import AgainDialog, ChoiceDialog, ConfirmDialog, NumberPrompt, TextPrompt
from tui.dialogs.fields import Field, OnOff, parse_field
from tui.dialogs.form import FormDialog, push_form
from tui.dialogs.picker import FilePicker

__all__ = ["AgainDialog", "ChoiceDialog", "ConfirmDialog", "Field", "FilePicker", "FormDialog", "NumberPrompt", "OnOff", "TextPrompt", "parse_field", "push_form"]
