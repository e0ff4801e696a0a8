"""Entry point of every Bazel py_test (tests/BUILD): runs pytest on one file.

`bazel test //tests:models/test_oracle_parity` runs
`pytest -q tests/models/test_oracle_parity.py` in Bazel's runfiles tree.
"""
import sys

import pytest

if __name__ == "__main__":
  sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
