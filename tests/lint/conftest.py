"""Each lint test gets its own cache directory: no test reads another's entries, and the
repository's working tree is never written."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path_factory.mktemp("kgen_cache")))
