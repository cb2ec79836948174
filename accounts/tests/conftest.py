"""Fixtures of the accounts tests: every test has a site folder of its own.

Users with a second factor: `user_factory(with_totp=True)` (root conftest); codes and logging in:
`code_for`, `login` in tests/helpers.py.
"""

import copy

import pytest

from .social import ENDPOINTS


@pytest.fixture(autouse=True)
def _site(site_dir):
    # The root conftest clears the cache (rate limits) and sets a fast hasher for every test.
    return site_dir


@pytest.fixture
def provider_keys(settings):
    """Client ids and secrets for Google, Facebook and Microsoft (accounts/tests/social.py)."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    for name in ENDPOINTS:
        providers[name]["APP"] = {"client_id": f"{name}-id", "secret": f"{name}-secret"}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return providers
