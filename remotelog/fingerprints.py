"""
The fingerprint of a log record: which records are the same problem.

Records share a group when they come from the same application and agree on
the logger, the level, the message template (``msg`` before ``%`` with its
arguments), the exception type and the place (path, line, function). Nothing
else is normalised: the template already leaves out what varies, as Sentry's
grouping by "logentry.message" does. A record that carries an extra field
``fingerprint`` (``logger.error(..., extra={"fingerprint": "payment-timeout"})``)
is grouped by that value instead.
"""

import hashlib
import json
import re

# The extra field that overrides the computed fingerprint. No attribute of
# logging.LogRecord has this name, so `extra=` accepts it.
OVERRIDE_FIELD = "fingerprint"

# The stock handler sends exc_info as the tuple's str():
# "(<class 'ValueError'>, ValueError('bad'), <traceback object at 0x7f...>)".
_EXC_INFO_CLASS = re.compile(r"\(<class '([^']{1,255})'>")
# The exception line of a formatted traceback: "module.Error: text", or "Error" alone.
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]{0,254})(?::|$)")
_LOOK_AHEAD = 16 * 1024


def exception_type(exc_text, exc_info):
    """
    Return the exception's type name ("ValueError", "app.errors.Late"), or "" without one.

    In a formatted traceback (``exc_text``) the last exception of a chain
    follows the last frame ("  File ...") and its indented source lines; its
    message may span lines. Without a traceback the type is read from the
    repr of ``exc_info`` the stock handler sends.
    """
    if exc_text:
        frame = exc_text.rfind("\n  File ")
        start = 0 if frame < 0 else frame + 1
        # The exception line comes within a few lines: never split a megabyte.
        for line in exc_text[start : start + _LOOK_AHEAD].splitlines():
            if line and not line[0].isspace():
                match = _EXCEPTION_LINE.match(line)
                if match:
                    return match.group(1)
                break
    if exc_info:
        match = _EXC_INFO_CLASS.match(exc_info)
        if match:
            return match.group(1)
    return ""


def place(values):
    """Return where the record was made, "path:line function", from its row ``values``."""
    pathname, lineno, function = values["pathname"], values["lineno"], values["funcName"]
    if pathname is None and lineno is None and function is None:
        return ""
    return f"{pathname or '?'}:{'?' if lineno is None else lineno} {function or '?'}"


def fingerprint(values):
    """
    Return the hex SHA-256 fingerprint of a record's row ``values`` (from `record_values`).

    An extra field `OVERRIDE_FIELD` (a string, or a list of strings from a JSON
    batch) replaces the computed key. The application is not part of it: a
    fingerprint is unique per application.
    """
    override = values["extra"].get(OVERRIDE_FIELD)
    if override is not None and override != "":
        key = ["override", override]
    else:
        key = [
            values["name"],
            values["levelno"],
            values["msg"],
            exception_type(values["exc_text"], values["exc_info"]),
            values["pathname"],
            values["lineno"],
            values["funcName"],
        ]
    encoded = json.dumps(key, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()
