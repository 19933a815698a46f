"""The example application that `make run` serves: a small notes API written with vivace."""
