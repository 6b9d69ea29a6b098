"""What makes a test slow, in one place: `pytest -m "not slow"` is the quick edit loop.

A test is slow when it needs a spreadsheet engine (LibreOffice, Gnumeric) or real MNIST and training:
every test that uses one of the fixtures below, directly or through another fixture, is marked `slow`
here, and tests that start such work without them carry `@pytest.mark.slow` themselves. Plain `pytest`
(CI) runs everything.
"""

import pytest

SLOW_FIXTURES = {"soffice", "gnumeric", "gnumeric_program", "dataset", "checkpoint"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
