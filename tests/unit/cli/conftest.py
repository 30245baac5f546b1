from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fakeapi import FakeApi


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    yield fake
    fake.close()
