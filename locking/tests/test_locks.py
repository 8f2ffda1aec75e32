import threading

import pytest
from django.db import connection, models, transaction
from django.test.utils import isolate_apps

from crm.models import Contact, Phone
from locking import LOCK_MODES, LockNotAvailable, require_lock
from locking.testing import test_concurrently

from .threads import (
    LockHeldElsewhere,
    held_lock_modes,
    postgresql_only,
    run_in_another_thread,
    sqlite_only,
    wait_until,
    waiting_lock_count,
)

pytestmark = pytest.mark.django_db(transaction=True)

# pg_locks names each mode in CamelCase: "SHARE ROW EXCLUSIVE" -> ShareRowExclusiveLock.
PG_LOCK_NAMES = {mode: mode.title().replace(" ", "") + "Lock" for mode in LOCK_MODES}


def try_lock(*models, **options):
    """Take and release a lock; return True, or False when it was not available."""
    try:
        with require_lock(*models, **options):
            return True
    except LockNotAvailable:
        return False


@pytest.mark.parametrize("mode", LOCK_MODES)
def test_each_of_the_eight_modes_is_accepted_and_taken(mode):
    with require_lock(Contact, mode=mode):
        assert connection.in_atomic_block
        if connection.vendor == "postgresql":
            assert held_lock_modes(Contact) == {PG_LOCK_NAMES[mode]}
        Contact.objects.create(name="Ada")
    assert Contact.objects.count() == 1


def test_mode_spelling_is_forgiven():
    assert require_lock(Contact, mode="  share row\texclusive ").mode == "SHARE ROW EXCLUSIVE"


def test_an_unknown_mode_is_rejected_when_decorating_and_the_valid_ones_are_listed():
    calls = []
    with pytest.raises(ValueError) as excinfo:

        @require_lock(Contact, mode="SHARE EXCLUSIVE")
        def never_decorated():
            calls.append(1)

    message = str(excinfo.value)
    assert "'SHARE EXCLUSIVE'" in message
    assert all(mode in message for mode in LOCK_MODES)
    assert calls == []


@pytest.mark.parametrize(
    ("args", "options", "error"),
    [
        ((), {}, TypeError),
        (("crm_contact",), {}, TypeError),
        ((Contact,), {"timeout": 0}, ValueError),
        ((Contact,), {"timeout": "5"}, ValueError),
        ((Contact,), {"nowait": True, "timeout": 1}, ValueError),
    ],
)
def test_misuse_is_refused_when_decorating(args, options, error):
    with pytest.raises(error):
        require_lock(*args, **options)


def test_as_a_decorator_it_runs_the_function_in_a_transaction_and_returns_its_result():
    @require_lock(Contact, mode="SHARE ROW EXCLUSIVE")
    def create(name):
        assert connection.in_atomic_block
        return Contact.objects.create(name=name)

    assert create("Ada").name == "Ada"
    assert not connection.in_atomic_block
    assert Contact.objects.get().name == "Ada"


def test_outside_an_atomic_block_it_commits_or_rolls_back_by_itself():
    with require_lock(Contact):
        Contact.objects.create(name="Kept")
    with pytest.raises(RuntimeError), require_lock(Contact):
        Contact.objects.create(name="Rolled back")
        raise RuntimeError
    assert list(Contact.objects.values_list("name", flat=True)) == ["Kept"]
    assert connection.get_autocommit()


def test_inside_an_outer_atomic_block_it_is_a_savepoint_and_the_lock_lasts_to_the_end():
    with transaction.atomic():
        Contact.objects.create(name="Outer")
        with pytest.raises(RuntimeError), require_lock(Contact, mode="EXCLUSIVE"):
            Contact.objects.create(name="Rolled back")
            raise RuntimeError
        with require_lock(Contact, mode="EXCLUSIVE"):
            Contact.objects.create(name="Inner")
        # Locks are released at commit, not when the block ends.
        assert not run_in_another_thread(lambda: try_lock(Contact, nowait=True))
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Inner", "Outer"]
    assert run_in_another_thread(lambda: try_lock(Contact, nowait=True))


def test_one_instance_can_be_entered_again_while_held():
    lock = require_lock(Contact, mode="SHARE ROW EXCLUSIVE")
    with lock:
        with lock:
            Contact.objects.create(name="Ada")
        assert connection.in_atomic_block
    assert Contact.objects.count() == 1


def test_a_read_then_write_under_the_lock_is_serialized():
    # Each thread reads the count, then writes a contact named after it. Two
    # threads reading the same count would write the same name.
    @test_concurrently(10)
    def number_the_next_contact():
        with require_lock(Contact, mode="SHARE ROW EXCLUSIVE"):
            Contact.objects.create(name=f"#{Contact.objects.count()}")

    number_the_next_contact()
    assert sorted(Contact.objects.values_list("name", flat=True)) == sorted(
        f"#{n}" for n in range(10)
    )


@pytest.mark.parametrize("options", [{"nowait": True}, {"timeout": 0.2}])
def test_nowait_and_timeout_raise_lock_not_available_and_write_nothing(options):
    def create_under_lock():
        with require_lock(Contact, mode="SHARE ROW EXCLUSIVE", **options):
            Contact.objects.create(name="Never")

    with LockHeldElsewhere(Contact, mode="SHARE ROW EXCLUSIVE"):
        with pytest.raises(LockNotAvailable):
            create_under_lock()
        assert not connection.in_atomic_block
    create_under_lock()
    assert Contact.objects.count() == 1


@postgresql_only
def test_lock_not_available_inside_an_outer_atomic_block_leaves_it_usable():
    with transaction.atomic():
        Contact.objects.create(name="Outer")
        with LockHeldElsewhere(Phone), pytest.raises(LockNotAvailable):  # noqa: SIM117
            with require_lock(Phone, nowait=True):
                Phone.objects.create(number="555 0100")
        Contact.objects.create(name="Still here")
    assert Contact.objects.count() == 2
    assert not Phone.objects.exists()


@postgresql_only
def test_the_lock_blocks_a_conflicting_lock_on_another_connection_until_commit():
    def create_under_conflicting_lock():
        # ROW EXCLUSIVE is what every INSERT takes; it conflicts with SHARE.
        with require_lock(Contact, mode="ROW EXCLUSIVE"):
            Contact.objects.create(name="Second")

    with LockHeldElsewhere(Contact, mode="SHARE"):
        thread = threading.Thread(target=create_under_conflicting_lock, daemon=True)
        thread.start()
        wait_until(lambda: waiting_lock_count(Contact) == 1)
        assert not Contact.objects.exists()
    thread.join(30)
    assert list(Contact.objects.values_list("name", flat=True)) == ["Second"]


@postgresql_only
def test_a_weaker_mode_does_not_block_what_it_does_not_conflict_with():
    # SHARE ROW EXCLUSIVE keeps other writers of the table out, but not readers
    # nor SELECT ... FOR UPDATE's ROW SHARE.
    with LockHeldElsewhere(Contact, mode="SHARE ROW EXCLUSIVE"):
        assert run_in_another_thread(lambda: try_lock(Contact, mode="ROW SHARE", nowait=True))
        assert run_in_another_thread(lambda: Contact.objects.count()) == 0
        assert not run_in_another_thread(
            lambda: try_lock(Contact, mode="ROW EXCLUSIVE", nowait=True)
        )


@postgresql_only
def test_timeout_is_set_for_the_wait_only_and_never_leaks():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        before = cursor.fetchone()[0]
        with require_lock(Contact, timeout=3):
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == before
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == before


@postgresql_only
def test_table_names_are_quoted_by_the_connection():
    with isolate_apps("locking"):

        class Odd(models.Model):  # noqa: DJ008
            class Meta:
                app_label = "locking"
                # A reserved word, capitals and a space: only a quoted name works.
                db_table = "Order Lines"

    with connection.schema_editor() as editor:
        editor.create_model(Odd)
    try:
        with require_lock(Odd, Contact, mode="SHARE"):
            assert held_lock_modes(Odd) == {"ShareLock"}
            assert held_lock_modes(Contact) == {"ShareLock"}
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Odd)


@sqlite_only
def test_on_sqlite_begin_immediate_serializes_writers_but_not_readers():
    with require_lock(Contact, mode="ACCESS SHARE"):
        Contact.objects.create(name="Ada")
        # Another writer cannot start a transaction while this one runs...
        assert not run_in_another_thread(lambda: try_lock(Phone, nowait=True))
        # ...while readers go on, seeing what was committed (WAL).
        assert run_in_another_thread(lambda: Contact.objects.count()) == 0
    assert run_in_another_thread(lambda: try_lock(Phone, nowait=True))


@sqlite_only
def test_on_sqlite_a_deferred_transaction_takes_the_write_lock_at_the_start():
    connection.ensure_connection()
    mode, connection.transaction_mode = connection.transaction_mode, None  # plain BEGIN
    try:
        with require_lock(Contact, mode="SHARE ROW EXCLUSIVE"):
            assert not run_in_another_thread(lambda: try_lock(Phone, nowait=True))
            Contact.objects.create(name="Ada")
    finally:
        connection.transaction_mode = mode
    assert Contact.objects.count() == 1
