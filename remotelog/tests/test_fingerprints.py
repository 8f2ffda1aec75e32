"""Which exception a sent record carries, read from what the handlers send."""

import logging
import sys

import pytest

from remotelog.fingerprints import exception_type


class PaymentTimeout(Exception):
    pass


def formatted(exc):
    """Return the traceback text and the exc_info repr the stock handler sends for ``exc``."""
    try:
        raise exc
    except Exception:
        info = sys.exc_info()
    return logging.Formatter().formatException(info), str(info)


def test_the_type_is_the_last_line_of_the_traceback():
    text, _ = formatted(ValueError("bad value"))
    assert exception_type(text, None) == "ValueError"


def test_a_module_qualified_type_keeps_its_module():
    text, _ = formatted(PaymentTimeout("late"))
    assert exception_type(text, None) == f"{__name__}.PaymentTimeout"


def test_a_chain_names_its_last_exception():
    try:
        try:
            raise KeyError("card")
        except KeyError as error:
            raise PaymentTimeout("while paying") from error
    except PaymentTimeout:
        text = logging.Formatter().formatException(sys.exc_info())
    assert "KeyError" in text
    assert exception_type(text, None) == f"{__name__}.PaymentTimeout"


def test_a_message_over_several_lines_does_not_hide_the_type():
    text, _ = formatted(ValueError("first line\nsecond: line\n  indented"))
    assert exception_type(text, None) == "ValueError"


def test_without_a_traceback_the_type_comes_from_the_exc_info_repr():
    _, info = formatted(OSError("disk"))
    assert info.startswith("(<class 'OSError'>")
    assert exception_type(None, info) == "OSError"


@pytest.mark.parametrize("text", [None, "", "Traceback (most recent call last):\n", "ünïcode?"])
def test_no_exception_is_an_empty_type(text):
    assert exception_type(text, None) == ""
    assert exception_type(None, "None") == ""
