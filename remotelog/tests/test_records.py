"""The rendered message: formatted only when that is safe, and never longer than its limit."""

import ast
import tracemalloc

import pytest

from remotelog.records import render_message


@pytest.mark.parametrize(
    ("msg", "args", "expected"),
    [
        ("%s rows in %.1f s", "(12, 0.25)", "12 rows in 0.2 s"),
        ("plain", "()", "plain"),
        ("plain", None, "plain"),
        ("%(user)s logged in", "{'user': 'ann'}", "ann logged in"),
        ("one %s", "'arg'", "one arg"),
        ("list %s %s", "[1, 2]", "list 1 2"),
        # Not a literal: never evaluated, shown beside msg.
        ("%s", "(__import__('os').getcwd(),)", "%s (__import__('os').getcwd(),)"),
        ("%s", "(<object object at 0x7f>,)", "%s (<object object at 0x7f>,)"),
        # Formatting fails: wrong count, wrong type.
        ("%s %s", "(1,)", "%s %s (1,)"),
        ("%d", "('x',)", "%d ('x',)"),
        # A width that would build a huge string is not formatted.
        ("%999999999s", "('x',)", "%999999999s ('x',)"),
        ("%*d", "(999999999, 1)", "%*d (999999999, 1)"),
        ("%s", "(" * 500 + ")" * 500, "%s " + "(" * 500 + ")" * 500),
    ],
)
def test_render_message(msg, args, expected):
    assert render_message(msg, args) == expected


LIMIT = 1000


def cut(full, limit=LIMIT):
    """Return what a message of ``full`` text is stored as under ``limit``."""
    marker = f"… [truncated: {len(full):,} characters]"
    return full[: limit - len(marker)] + marker


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        # Each reference repeats the whole argument.
        ("%(a)s" * 200, repr({"a": "y" * 1000})),
        ("%s-" * 500, repr(tuple(range(500)))),
        ("%a", repr(("\N{GRINNING FACE}" * 500,))),
        ("%999s|" * 10, repr(("x",) * 10)),
        ("%.999f" * 5, repr((1e308,) * 5)),
        ("%-8r;%%" * 300, repr(tuple(f"item{n}" for n in range(300)))),
    ],
)
def test_a_long_message_is_cut_and_says_how_long_it_was(msg, args):
    message = render_message(msg, args, limit=LIMIT)
    assert message == cut(msg % ast.literal_eval(args))
    assert len(message) == LIMIT


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        ("x" * 5000, "()"),
        ("x" * 5000, None),
    ],
)
def test_a_long_msg_without_arguments_is_cut(msg, args):
    assert render_message(msg, args, limit=LIMIT) == cut(msg)


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        ("%s %s" + "z" * 3000, "(1,)"),  # too few arguments
        ("%s", "(" + "1, " * 2000 + ")"),  # too many
        ("%s" * 2000, "(<object object at 0x7f>,)"),  # not a literal
        ("%d" * 3000, repr(("x",) * 3000)),  # a conversion fails
    ],
)
def test_msg_and_args_side_by_side_are_cut_too(msg, args):
    assert render_message(msg, args, limit=LIMIT) == cut(f"{msg} {args}")


def test_the_probes_record_builds_no_more_than_its_limit():
    # 63 KB sent asked for 198,000,000 characters (8 s and 1 GB of one worker).
    msg, args = "%(a)s" * 6000, repr({"a": "y" * 33_000})
    tracemalloc.start()
    try:
        message = render_message(msg, args, limit=32 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "y" * (32 * 1024 - 37) + "… [truncated: 198,000,000 characters]"
    assert peak < 10 * (len(msg) + len(args))
