"""The `form_limits` settings as a typed dict, under the private name FastAPI 0.165 gives it.

Code written for FastAPI annotates its limits with `fastapi._form_limits._FormLimits`; through the import alias
(`vivace.compat`) that name resolves here. vivace also accepts `max_file_size` (see docs/guide/forms-and-files.md).
"""

from __future__ import annotations

from typing_extensions import TypedDict

__all__ = ["FormLimitsSettings", "_FormLimits"]


class FormLimitsSettings(TypedDict, total=False):
    """`form_limits={...}` on the app, a router or a route; every key is optional."""

    max_fields: int | None  # form fields, files included (default 1000)
    max_files: int | None  # files (default 1000)
    max_part_size: int | None  # bytes of one text field (default 1 MiB)
    max_file_size: int | None  # bytes of one file: vivace only (default 100 MiB)


_FormLimits = FormLimitsSettings
