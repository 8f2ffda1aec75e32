"""bounded_format: what Python's % makes, measured first, and never more than asked for."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remotelog.formatting import Unformattable, bounded_format

CONVERSIONS = st.sampled_from(
    ["%s", "%r", "%a", "%d", "%i", "%u", "%o", "%x", "%X", "%e", "%E", "%f", "%F", "%g"]
    + ["%G", "%c", "%%", "%5s", "%-7.2s", "%.3f", "%05d", "%+d", "% d", "%#x", "%#o", "%.0e"]
    + ["%-10r", "%.1a", "%ls", "%hd", "%(a)s", "%(b)r", "%(a)d", "%(a)-4s", "%(b).1f", "%(c)s"]
    + ["%(a)%", "%5%", "%", "%(", "%(a", "%z", "%hh", "%.", "%5.s", "%0100.50d", "%1000s"]
)
LITERALS = st.text(alphabet=st.characters(exclude_characters="%"), max_size=8)
SCALARS = (
    st.text(max_size=12)
    | st.integers(-(10**30), 10**30)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.binary(max_size=6)
    | st.complex_numbers(max_magnitude=1e6)
)
VALUES = st.one_of(
    st.lists(SCALARS | st.lists(SCALARS, max_size=3), max_size=6).map(tuple),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), SCALARS, max_size=3),
)
MESSAGES = st.lists(LITERALS | CONVERSIONS, max_size=12).map("".join)
NUMBERS = st.integers(-(10**30), 10**30) | st.floats(-1e300, 1e300) | st.booleans()


@st.composite
def formats_and_their_arguments(draw):
    """Return a msg and arguments that % mostly accepts: one per conversion, numbers for numbers."""
    specs = draw(
        st.lists(st.sampled_from(["s", "r", "a", "d", "x", "f", "e", "g", "o", "%"]), max_size=8)
    )
    flags = st.sampled_from(["", "-", "0", "+", " ", "#", "-#"])
    widths = st.sampled_from(["", "1", "12", "999", "1000"])
    precisions = st.sampled_from(["", ".", ".0", ".3", ".999", ".1000"])
    mapping = draw(st.booleans())
    msg, values = "", {} if mapping else []
    for kind in specs:
        msg += draw(LITERALS)
        if kind == "%":
            msg += "%%"
            continue
        key = f"({draw(st.sampled_from('abc'))})" if mapping else ""
        msg += f"%{key}{draw(flags)}{draw(widths)}{draw(precisions)}{kind}"
        value = draw(SCALARS if kind in "sra" else NUMBERS)
        if mapping:
            values.setdefault(key[1:-1], value)
        else:
            values.append(value)
    return msg, values if mapping else tuple(values)


def python(msg, values):
    try:
        return msg % values
    except Exception:
        return None


@settings(max_examples=300, deadline=None)
@given(pair=formats_and_their_arguments() | st.tuples(MESSAGES, VALUES), limit=st.integers(0, 3000))
def test_agrees_with_python(pair, limit):
    msg, values = pair
    expected = python(msg, values)
    try:
        text, size = bounded_format(msg, values, literal_size=len(repr(values)), limit=limit)
    except Exception:
        assert expected is None
        return
    assert expected is not None
    assert size == len(expected)
    assert text == (expected if size <= limit else expected[:limit])


@pytest.mark.parametrize(
    ("msg", "values"),
    [
        ("%1001s" * 50, ("x",) * 50),
        ("%.1001s" * 50, ("x",) * 50),
        ("%*d" * 50, (5, 1) * 50),
        ("%.*f" * 50, (5, 1.0) * 50),
        # Valid for %, but not measured: the key holds parentheses.
        ("%(a(b))s" * 50, {"a(b)": 1}),
    ],
)
def test_what_cannot_be_measured_is_refused(msg, values):
    with pytest.raises(Unformattable):
        bounded_format(msg, values, literal_size=1000, limit=100)


def test_the_probes_record():
    text, size = bounded_format(
        "%(a)s" * 6000, {"a": "y" * 33_000}, literal_size=33_010, limit=32_768
    )
    assert (text, size) == ("y" * 32_768, 198_000_000)
