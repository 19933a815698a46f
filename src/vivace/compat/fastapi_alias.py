"""Importing this module installs the `fastapi` -> vivace import alias (see `vivace.compat.install`)."""

from vivace.compat import install

install()
