"""The example application that `make run` serves: a notes API on SQLite, written with vivace."""
