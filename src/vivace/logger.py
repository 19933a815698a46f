"""The framework's logger; configure it with `logging.getLogger("vivace")`."""

import logging

logger = logging.getLogger("vivace")
