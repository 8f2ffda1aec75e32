import random
import string

import pytest


@pytest.fixture
def noise():
    """Return a function making text that does not compress (the cookie is compressed)."""

    def noise(length, seed=0):
        chance = random.Random(seed)
        return "".join(chance.choice(string.ascii_letters) for _ in range(length))

    return noise
