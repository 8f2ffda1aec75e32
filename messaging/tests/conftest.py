import html
import random
import re
import string

import pytest

_MESSAGE = re.compile(r'<span class="message-text">(.*?)</span>', re.DOTALL)


@pytest.fixture
def shown():
    """Return a function listing the message texts a page shows, unescaped, in order."""

    def shown(response):
        return [html.unescape(text) for text in _MESSAGE.findall(response.content.decode())]

    return shown


@pytest.fixture
def noise():
    """Return a function making text that does not compress (the cookie is compressed)."""

    def noise(length, seed=0):
        chance = random.Random(seed)
        return "".join(chance.choice(string.ascii_letters) for _ in range(length))

    return noise
