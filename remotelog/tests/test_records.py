"""The rendered message: formatted only when that is safe."""

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
