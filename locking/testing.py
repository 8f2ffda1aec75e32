"""Test helpers for race conditions."""

import functools
import threading
import time

from django.db import connections

DEFAULT_TIMEOUT = 60


def test_concurrently(times, *, timeout=DEFAULT_TIMEOUT):
    """
    Run the decorated function in ``times`` threads at once.

    The threads wait at a barrier and are released together, so that they
    race through the body. Each thread closes its database connections when
    it is done. Afterwards the call fails with an ``AssertionError`` that
    counts and lists every exception raised in a thread, and every thread
    still running ``timeout`` seconds after the start::

        @pytest.mark.django_db(transaction=True)
        def test_relating_twice_at_once_keeps_one_pair(...):
            @test_concurrently(20)
            def relate():
                response = next_client().post(url, data)
                assert response.status_code == 302

            relate()
            assert ContactRelationship.objects.count() == 2

    Use it on a real, committed database (``transaction=True``): every
    thread has its own connection and sees only what was committed.
    """
    if times < 1:
        raise ValueError(f"test_concurrently() needs at least one thread; got {times!r}.")

    def decorator(func):
        @functools.wraps(func)
        def run_concurrently(*args, **kwargs):
            barrier = threading.Barrier(times)
            errors = []  # list.append is atomic: no lock needed.

            def run():
                try:
                    barrier.wait(timeout)
                    func(*args, **kwargs)
                except BaseException as exc:
                    errors.append(exc)
                finally:
                    connections.close_all()

            threads = [
                threading.Thread(target=run, name=f"{func.__name__}-{i}", daemon=True)
                for i in range(times)
            ]
            deadline = time.monotonic() + timeout
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            stuck = [thread.name for thread in threads if thread.is_alive()]

            _fail_with(func, times, timeout, errors, stuck)

        return run_concurrently

    return decorator


def _fail_with(func, times, timeout, errors, stuck):
    """Raise an AssertionError listing every exception and every stuck thread, if any."""
    problems = []
    if errors:
        listed = "\n".join(f"  {exc!r}" for exc in errors)
        problems.append(f"{len(errors)} of {times} threads raised:\n{listed}")
    if stuck:
        problems.append(
            f"{len(stuck)} of {times} threads did not finish within {timeout} s: {', '.join(stuck)}"
        )
    if problems:
        raise AssertionError(
            f"test_concurrently({times}) of {func.__qualname__}: " + "\n".join(problems)
        ) from (errors[0] if errors else None)


# Tests import this function by name; it is not a test itself.
test_concurrently.__test__ = False
