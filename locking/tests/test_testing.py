import threading

import pytest
from django.db import IntegrityError, connections

from crm.models import Phone
from locking import require_lock
from locking.testing import test_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_is_not_collected_as_a_test():
    assert test_concurrently.__test__ is False


def test_the_body_runs_in_every_thread_at_the_same_time():
    # A barrier for all five passes only if all five bodies run at once.
    together = threading.Barrier(5)
    names = []

    @test_concurrently(5)
    def meet():
        together.wait(10)
        names.append(threading.current_thread().name)

    meet()
    assert len(set(names)) == 5


def test_exceptions_from_threads_are_counted_and_listed():
    calls = []

    @test_concurrently(4)
    def fail_sometimes():
        calls.append(1)
        if len(calls) % 2:
            raise ValueError("odd call")

    with pytest.raises(AssertionError) as excinfo:
        fail_sometimes()
    message = str(excinfo.value)
    assert "2 of 4 threads raised" in message
    assert message.count("ValueError('odd call')") == 2


def test_it_fails_on_a_racy_read_then_write():
    # Every thread sees no Phone, then every thread inserts one: all but the
    # first hit the unique constraint. This is the bug the decorator exists
    # to catch.
    all_checked = threading.Barrier(6)

    @test_concurrently(6)
    def get_or_create_without_a_lock():
        exists = Phone.objects.filter(digits="5550100").exists()
        all_checked.wait(10)
        if not exists:
            Phone.objects.create(number="555 0100")

    with pytest.raises(AssertionError) as excinfo:
        get_or_create_without_a_lock()
    assert "5 of 6 threads raised" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, IntegrityError)
    assert Phone.objects.count() == 1


def test_the_same_read_then_write_passes_under_a_lock():
    @test_concurrently(6)
    def get_or_create_under_a_lock():
        with require_lock(Phone, mode="SHARE ROW EXCLUSIVE"):
            if not Phone.objects.filter(digits="5550100").exists():
                Phone.objects.create(number="555 0100")

    get_or_create_under_a_lock()
    assert Phone.objects.count() == 1


def test_a_thread_that_does_not_finish_in_time_fails_the_call():
    release = threading.Event()

    @test_concurrently(3, timeout=0.5)
    def one_hangs():
        if threading.current_thread().name.endswith("-0"):
            release.wait(30)

    try:
        with pytest.raises(AssertionError, match=r"1 of 3 threads did not finish within 0.5 s"):
            one_hangs()
    finally:
        release.set()


def test_each_thread_closes_its_database_connection():
    wrappers = []

    @test_concurrently(4)
    def query():
        Phone.objects.exists()
        wrappers.append(connections["default"])  # this thread's own connection

    query()
    assert len({id(wrapper) for wrapper in wrappers}) == 4
    assert all(wrapper.connection is None for wrapper in wrappers)


def test_the_decorated_function_keeps_its_arguments():
    seen = []

    @test_concurrently(2)
    def record(value, *, key):
        seen.append((value, key))

    record(1, key="a")
    assert seen == [(1, "a"), (1, "a")]
