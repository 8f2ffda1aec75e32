"""The progress bar of the contact book's long commands."""

import sys

WIDTH = 30


def show_progress(stdout, done, total, what="contacts"):
    """
    Write ``done`` of ``total`` as a bar to ``stdout`` (a command's): redrawn
    in place on a terminal, one line each time otherwise (a log, a pipe).
    """
    filled = WIDTH * done // max(total, 1)
    bar = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {what}"
    if sys.stdout.isatty():
        stdout.write(f"\r{bar}", ending="" if done < total else "\n")
        stdout.flush()
    else:
        stdout.write(bar)
