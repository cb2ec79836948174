"""Fixtures of the accounts tests: every test has a site folder of its own.

Users with a second factor: `user_factory(with_totp=True)` (root conftest); codes and logging in:
`code_for`, `login` in tests/helpers.py.
"""

import pytest


@pytest.fixture(autouse=True)
def _site(site_dir):
    # The root conftest clears the cache (rate limits) and sets a fast hasher for every test.
    return site_dir
