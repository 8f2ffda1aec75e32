"""
Turn a sent log record into a `LogMessage` row: validate, convert, render the message.

The single endpoint receives `record.__dict__` urlencoded by the stock
`logging.handlers.HTTPHandler`, so every value is a string and an empty field
arrives as ``"None"``. The batch endpoint receives JSON scalars. Both come
through `record_values`, which raises `InvalidRecord` with a reason the
client can read.
"""

import ast
import datetime
import math
import re
import threading

from . import levels
from .conf import settings
from .formatting import bounded_format

# Attributes of logging.LogRecord (3.11 to 3.13) that have a column; any other
# key is an extra field. "message" and "asctime" appear when another handler
# formatted the record first.
TEXT_FIELDS = (
    "name",
    "levelname",
    "msg",
    "args",
    "pathname",
    "filename",
    "module",
    "funcName",
    "threadName",
    "processName",
    "taskName",
    "exc_info",
    "exc_text",
    "stack_info",
)
INT_RANGES = {
    "levelno": (-(2**31), 2**31 - 1),
    "lineno": (-(2**31), 2**31 - 1),
    "thread": (-(2**63), 2**63 - 1),
    "process": (-(2**63), 2**63 - 1),
}
FLOAT_FIELDS = ("created", "msecs", "relativeCreated")
MAX_LENGTHS = {"name": 255, "levelname": 50}
STANDARD_FIELDS = {*TEXT_FIELDS, *INT_RANGES, *FLOAT_FIELDS, "message"}
CLIENT_ID_MAX_LENGTH = 64
# Lists and objects in a batch record (extra fields, args) nest at most this
# deep. Deeper ones are refused before anything recurses into them: json.loads
# accepts nearly a thousand levels, more than Python's own recursion limit
# leaves to the code that walks, stores or prints them.
MAX_DEPTH = 32

# Numbers as str() writes them, in ASCII. int() and float() also read other
# scripts' digits ("١٢٣" is 123), underscores, surrounding spaces, "nan", "inf".
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
# Each part of _DECIMAL starts with its own character, so a failed match backtracks
# in linear time ("[0-9]+\.?[0-9]*" is quadratic on a long run of digits).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NOT_FINITE = {"nan", "inf", "infinity"}


class InvalidRecord(ValueError):
    """The record cannot be stored; the message says why, in the client's terms."""


class NestedTooDeep(ValueError):
    """A JSON value holds lists or objects nested deeper than `MAX_DEPTH` levels."""


def record_values(fields, *, remote_addr, received, client_id=None, max_message=None):
    """
    Return the column values of a `LogMessage` made from ``fields``, a mapping of record attributes.

    The result maps each `LogMessage` field's attname but the id and the
    application to a value of its Python type (`log_message_store` and
    `log_messages_store` write them). Raise `InvalidRecord` when `msg` is
    missing or a value does not fit its column. The string ``"None"`` (the
    stock handler's empty field) and JSON null are stored as NULL, except in
    `msg`, where they are what was logged. The message holds at most
    ``max_message`` characters (default: REMOTELOG_MAX_MESSAGE).
    """
    if max_message is None:
        max_message = settings.MAX_MESSAGE
    if "msg" not in fields:
        raise InvalidRecord("msg is missing")
    values, extra = _split_fields(fields)
    row = {"remote_addr": remote_addr, "received": received}
    for field in TEXT_FIELDS:
        row[field] = _text(values, field)
    for field, (low, high) in INT_RANGES.items():
        row[field] = _integer(values, field, low, high)
    for field in FLOAT_FIELDS:
        row[field] = _number(values, field)

    if row["name"] is None:
        row["name"] = "root"
    if row["levelname"] is None:
        row["levelname"] = "NOTSET" if row["levelno"] is None else f"Level {row['levelno']}"
    if row["levelno"] is None:
        row["levelno"] = levels.number(row["levelname"])
    for field, length in MAX_LENGTHS.items():
        if len(row[field]) > length:
            raise InvalidRecord(f"{field} is longer than {length} characters")
    row["created"] = _timestamp(row["created"], default=received)

    row["client_id"] = _client_id(client_id)
    if values.get("message") is not None:
        # Formatted on the client by a Formatter, from the real objects: the best text.
        row["message"] = truncated(_text(values, "message"), max_message)
    else:
        row["message"] = render_message(row["msg"], row["args"], limit=max_message)
    row["extra"] = extra
    return row


def _split_fields(fields):
    """Return the standard fields (``"None"`` read as NULL but in msg) and the extra ones."""
    values = {}
    extra = {}
    for key, value in fields.items():
        if key.__class__ is not str:
            key = str(key)
        key = clean_text(key)
        if key not in STANDARD_FIELDS:
            try:
                extra[key] = clean_json(value)
            except NestedTooDeep:
                raise InvalidRecord(
                    f"extra field {key[:40]!r} is nested deeper than {MAX_DEPTH} levels"
                ) from None
            continue
        if value is None or value == "None":
            value = "None" if key == "msg" else None
        values[key] = value
    return values, extra


# CPython 3.11's ast module keeps its recursion depth per interpreter, not per
# thread: two threads parsing at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (a 500 under gthread). A record's
# arguments parse in microseconds, so one parse at a time costs nothing.
_parsing = threading.Lock()


def render_message(msg, args, *, limit=None):
    """
    Return ``msg % args`` when ``args`` is a plain literal; else msg and args side by side.

    ``args`` is the repr of the record's arguments. It is parsed with
    `ast.literal_eval`, never evaluated. A width or precision over 1000 is not
    formatted. The result holds at most ``limit`` characters (default:
    REMOTELOG_MAX_MESSAGE), cut by `truncated`; no longer message is built on
    the way, whatever the references in ``msg`` ask for.
    """
    if limit is None:
        limit = settings.MAX_MESSAGE
    if args is None or args in ("()", "[]", ""):
        return truncated(msg, limit)
    try:
        with _parsing:
            values = ast.literal_eval(args)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _side_by_side(msg, args, limit)
    if isinstance(values, list):
        values = tuple(values)
    elif not isinstance(values, tuple | dict):
        values = (values,)
    try:
        # Formatting runs user data through str() and % with any format spec.
        text, size = bounded_format(msg, values, literal_size=len(args), limit=limit)
    except Exception:
        return _side_by_side(msg, args, limit)
    return truncated(clean_text(text), limit, size=size)


def truncated(text, limit, *, size=None):
    """
    Return ``text`` when it is at most ``limit`` characters long, else its start and a marker.

    The marker, "… [truncated: 198,000,000 characters]", says how long the
    whole text was: ``size``, when ``text`` is already only its start. The
    result is ``limit`` characters long.
    """
    if size is None:
        size = len(text)
    if size <= limit:
        return text
    marker = f"… [truncated: {size:,} characters]"
    return text[: max(limit - len(marker), 0)] + marker


def _side_by_side(msg, args, limit):
    return truncated(f"{msg[:limit]} {args[:limit]}", limit, size=len(msg) + 1 + len(args))


def clean_text(value):
    """Return ``value`` without what databases refuse: NUL characters, lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "\N{REPLACEMENT CHARACTER}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_json(value, levels=MAX_DEPTH):
    """
    Return the JSON ``value`` with every string in it made storable by `clean_text`.

    Raise `NestedTooDeep` when its lists and objects nest more than ``levels``
    deep: the recursion stops there, whatever the input.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | dict):
        if not levels:
            raise NestedTooDeep
        if isinstance(value, list):
            return [clean_json(item, levels - 1) for item in value]
        return {clean_text(str(key)): clean_json(item, levels - 1) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _text(values, field):
    value = values.get(field)
    if value is None:
        return None
    if field == "args" and isinstance(value, list):
        # A batch may send the arguments as a JSON list; keep the stock handler's form.
        try:
            value = clean_json(value)
        except NestedTooDeep:
            raise InvalidRecord(f"args is nested deeper than {MAX_DEPTH} levels") from None
        # The repr can be longer than the JSON it came from ("9e15," is
        # "9000000000000000.0, "); no stored text field is longer than a body.
        return truncated(clean_text(repr(tuple(value))), settings.BATCH_MAX_BODY)
    if not isinstance(value, str | int | float):  # bool is an int: logging.info(True)
        raise InvalidRecord(f"{field} must be a string")
    return clean_text(str(value))


def _integer(values, field, low, high):
    value = values.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise InvalidRecord(f"{field} must be an integer in ASCII digits, not {value[:40]!r}")
        try:
            value = int(value)
        except ValueError:  # more digits than int() converts (4,300)
            raise InvalidRecord(f"{field} is out of range") from None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecord(f"{field} must be an integer")
    if not low <= value <= high:
        raise InvalidRecord(f"{field} is out of range")
    return value


def _number(values, field):
    value = values.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            if value.lower().lstrip("+-") in _NOT_FINITE:
                raise InvalidRecord(f"{field} must be a finite number")
            raise InvalidRecord(f"{field} must be a number in ASCII digits, not {value[:40]!r}")
        value = float(value)
        if not math.isfinite(value):  # "1e999": too large for a float
            raise InvalidRecord(f"{field} is out of range")
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            raise InvalidRecord(f"{field} is out of range") from None
    elif not isinstance(value, float):
        raise InvalidRecord(f"{field} must be a number")
    if not math.isfinite(value):
        raise InvalidRecord(f"{field} must be a finite number")
    return value


def _timestamp(created, *, default):
    if created is None:
        return default
    try:
        moment = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidRecord("created is out of range") from None
    if not 1 <= moment.year <= 9998:
        raise InvalidRecord("created is out of range")
    return moment


def _client_id(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRecord("id must be a string")
    value = str(value)
    if not 0 < len(value) <= CLIENT_ID_MAX_LENGTH:
        raise InvalidRecord(f"id must be 1 to {CLIENT_ID_MAX_LENGTH} characters")
    return clean_text(value)
