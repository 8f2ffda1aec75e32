"""
The log levels, one table: numbers and names from the standard library, a colour each.

Records may carry any level number; the standard ones (DEBUG 10 to CRITICAL 50)
are what the admin filters by and what the charts colour.
"""

import logging

# Name -> number, as logging itself knows them (FATAL, WARN and NOTSET included).
NUMBERS = logging.getLevelNamesMapping()
STANDARD = sorted({number for number in NUMBERS.values() if number})

# One colour per standard level, readable on white.
COLOURS = {10: "#5f6b73", 20: "#1f5fa8", 30: "#9a5b00", 40: "#c0262d", 50: "#7a0d3a"}


def number(name):
    """Return the number of the level called ``name`` (any case), 0 for an unknown one."""
    return NUMBERS.get(name.upper(), 0)


def name(levelno):
    """Return the name of level ``levelno``: "ERROR", or "Level 45" for a custom one."""
    return logging.getLevelName(levelno)


def colour(levelno):
    """Return the colour of the highest standard level at or below ``levelno``."""
    below = [standard for standard in STANDARD if standard <= levelno]
    return COLOURS[below[-1] if below else STANDARD[0]]
