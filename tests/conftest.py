"""Shared test fixtures.

Real data and checkpoint fixtures live beside the checkout in ../shared (or
wherever BIOM_SHARED_DIR points); tests that need them skip, with the reason,
where it is absent.
"""
import os

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DIR = os.environ.get("BIOM_SHARED_DIR",
                            os.path.join(REPO_ROOT, "..", "shared"))


def shared_path(*parts):
  """Path under the shared fixtures directory; skips the test if it is absent."""
  path = os.path.join(SHARED_DIR, *parts)
  if not os.path.exists(path):
    pytest.skip(f"shared fixture {path} not present (set BIOM_SHARED_DIR)")
  return path


@pytest.fixture
def shared():
  """`shared('data', 'corpus', 'x.txt')` → the path, or skip."""
  return shared_path
