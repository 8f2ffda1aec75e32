"""
``msg % args`` for sent log records, measured before it is built.

Both halves come from the client, and a few kilobytes of them can ask for
gigabytes: "%(a)s" * 6000 with a 33,000-character ``a`` makes 198 million
characters. `bounded_format` works out the size of the result first, from the
size of each conversion, and builds no more than a limit of it. Python's own
``%`` does the formatting whenever the whole result fits; the parser below only
has to agree with it on what each conversion takes and makes.
"""

import re

# Widths and precisions above this are refused outright: "%999999999s" would
# pad one short argument to a gigabyte.
MAX_WIDTH = 1000

# One conversion as str.__mod__ reads it: mapping key, flags, width, precision,
# a length modifier (ignored), the conversion type. Every part is optional, so
# the pattern matches at each "%" without backtracking; an empty or unknown type
# is the incomplete or unsupported format that % refuses.
_CONVERSION = re.compile(
    r"%(?:\((?P<key>[^()]*)\))?(?P<flags>[-+ #0]*)(?P<width>[0-9]*)"
    r"(?:\.(?P<precision>[0-9]*))?[hlL]?(?P<type>.?)",
    re.ASCII | re.DOTALL,
)
# What may need a second look before handing msg to %: a width or precision of
# 1000 or more or "*", or a key with parentheses in it (which % allows and
# _CONVERSION does not read). No two parts can match the same characters, so a
# search stays linear.
_UNUSUAL = re.compile(
    r"%(?:\([^()]*\(|(?:\([^()]*\))?[-+ #0]*"
    r"(?:\*|[1-9][0-9]{3}|(?:[1-9][0-9]*)?\.0*(?:\*|[1-9][0-9]{3})))",
    re.ASCII,
)
_TEXT = {"s": str, "r": repr, "a": ascii}
_NUMBER = frozenset("cdiouxXeEfFgG")
# What one conversion can make beyond ten characters per character of literal:
# a width and a precision of MAX_WIDTH, and the 309 digits of "%f" % 1e308.
_MOST_PER_CONVERSION = 2 * MAX_WIDTH + 400


class Unformattable(ValueError):
    """``msg % values`` fails, or asks for a width or precision over `MAX_WIDTH`."""


def bounded_format(msg, values, *, literal_size, limit):
    """
    Return ``(text, size)``: ``msg % values`` cut to ``limit`` characters, and its whole size.

    ``values`` is a tuple or a dict, as % takes them, read from ``literal_size``
    characters of Python literal (`ast.literal_eval`). Raise `Unformattable`, or
    whatever % raises, when % would fail; no string longer than about ``limit``
    plus ten times ``literal_size`` is built on the way.
    """
    # No conversion of a value read from n characters of literal makes more than
    # 10 n characters (ascii() of an astral character) plus a width and a
    # precision: below the limit, % runs at once.
    most = len(msg) + msg.count("%") * (10 * literal_size + _MOST_PER_CONVERSION)
    if most <= limit and not _UNUSUAL.search(msg):
        text = msg % values
        return text, len(text)
    size = _measure(msg, values)
    if size <= limit:
        return msg % values, size
    return _build(msg, values, limit), size


def _conversions(msg, values):
    """
    Yield ``(start, end, spec, value)`` for each conversion in ``msg``, in order.

    ``spec`` is the conversion without its mapping key ("%-8.3s"), ``value``
    the argument it takes; a literal "%%" has the spec "%%" and no value.
    Raise `Unformattable` where % would fail: a bad or incomplete conversion,
    too many or too few arguments, a missing key.
    """
    mapping = isinstance(values, dict)
    taken = 0  # positional arguments taken; with a dict, % allows one before any key
    for match in _CONVERSION.finditer(msg):
        key, flags, width, precision, kind = match.group(
            "key", "flags", "width", "precision", "type"
        )
        if match.end() - match.start() == 2 and kind == "%":
            yield match.start(), match.end(), "%%", None
            continue
        if kind not in _TEXT and kind not in _NUMBER:
            raise Unformattable(f"unsupported format character {kind!r}")
        if not (_bounded(width) and _bounded(precision)):
            raise Unformattable(f"width or precision over {MAX_WIDTH}")
        if key is not None:
            if not mapping or key not in values:
                raise Unformattable(f"no argument named {key!r}")
            value = values[key]
            taken = 1
        elif mapping:
            if taken:
                raise Unformattable("not enough arguments")
            value = values
            taken = 1
        else:
            if taken >= len(values):
                raise Unformattable("not enough arguments")
            value = values[taken]
            taken += 1
        spec = f"%{flags}{width}{'' if precision is None else '.' + precision}{kind}"
        yield match.start(), match.end(), spec, value
    if not mapping and taken < len(values):
        raise Unformattable("not all arguments converted")


def _bounded(digits):
    if not digits:
        return True
    digits = digits.lstrip("0")
    return len(digits) <= 4 and (not digits or int(digits) <= MAX_WIDTH)


def _measure(msg, values):
    """Return ``len(msg % values)``, converting each argument on its own, never the whole."""
    size = len(msg)
    texts, sizes = {}, {}
    for start, end, spec, value in _conversions(msg, values):
        size -= end - start
        if spec == "%%":
            size += 1
            continue
        # A dict's value may be converted thousands of times: measure it once.
        known = (id(value), spec)
        if known not in sizes:
            sizes[known] = len(_piece(spec, value, texts))
        size += sizes[known]
    return size


def _build(msg, values, limit):
    """Return the first ``limit`` characters of ``msg % values``, built piece by piece."""
    parts, size, last = [], 0, 0
    texts = {}
    for start, end, spec, value in _conversions(msg, values):
        parts.append(msg[last:start])
        parts.append("%" if spec == "%%" else _piece(spec, value, texts))
        size += start - last + len(parts[-1])
        last = end
        if size >= limit:
            break
    else:
        parts.append(msg[last:])
    return "".join(parts)[:limit]


def _piece(spec, value, texts):
    """
    Return what one conversion ``spec`` makes of ``value``.

    str(), repr() or ascii() of a value is made once (``texts`` keeps it) and
    padded or cut by % with "s"; a number is at most a width, a precision and
    the 309 digits of 1e308.
    """
    kind = spec[-1]
    if kind in _TEXT:
        known = (id(value), kind)
        if known not in texts:
            texts[known] = _TEXT[kind](value)
        return f"{spec[:-1]}s" % (texts[known],)
    return spec % (value,)
