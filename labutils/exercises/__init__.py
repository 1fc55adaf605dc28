"""Registered exercises, one module per chapter; importing this package registers them all."""

from labutils.exercises import ch00, ch03  # noqa: F401
