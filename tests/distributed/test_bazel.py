"""The Bazel workspace resolves: every module, tool and test file is a target.

Runs `bazel query --noimplicit_deps 'deps(//...)'` when bazel is on PATH
(Debian's bazel-bootstrap 4.2.3 here) and skips otherwise. Offline, Bazel 4
cannot download two of its own repositories that py_binary / py_test pull in
implicitly (rules_cc for the launcher, remote_coverage_tools for test
coverage); the test points them at empty local stand-ins with
--override_repository. Our targets and their deps must all resolve.
"""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from tests.conftest import REPO_ROOT

BAZEL = shutil.which("bazel")
pytestmark = pytest.mark.skipif(BAZEL is None, reason="bazel not on PATH")

RULES_CC_DEFS = "".join(
    f"def {rule}(**kwargs):\n    native.{rule}(**kwargs)\n\n"
    for rule in ("cc_binary", "cc_library", "cc_test", "cc_import",
                 "cc_proto_library", "cc_toolchain", "cc_toolchain_suite",
                 "objc_library", "objc_import"))


def _write(path, text):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    f.write(text)


def _stand_ins(root):
  """Local stand-ins for the two repositories Bazel 4 would download."""
  _write(os.path.join(root, "rules_cc", "WORKSPACE"),
         'workspace(name = "rules_cc")\n')
  _write(os.path.join(root, "rules_cc", "BUILD"), "")
  _write(os.path.join(root, "rules_cc", "cc", "BUILD"),
         'exports_files(["defs.bzl"])\n')
  _write(os.path.join(root, "rules_cc", "cc", "defs.bzl"), RULES_CC_DEFS)
  _write(os.path.join(root, "coverage", "WORKSPACE"),
         'workspace(name = "remote_coverage_tools")\n')
  _write(os.path.join(root, "coverage", "BUILD"), "".join(
      f'filegroup(name = "{n}", visibility = ["//visibility:public"])\n'
      for n in ("coverage_report_generator", "lcov_merger")))
  return [f"--override_repository=rules_cc={root}/rules_cc",
          f"--override_repository=remote_coverage_tools={root}/coverage"]


def _files(pattern):
  return sorted(os.path.relpath(p, REPO_ROOT)
                for p in glob.glob(os.path.join(REPO_ROOT, pattern),
                                   recursive=True))


def test_query_deps_resolves_every_target(tmp_path):
  # One output root per user, reused between runs (a fresh one costs a
  # minute); the server exits after 30 idle seconds.
  user_root = os.path.join(tempfile.gettempdir(), "biom_tf_bazel_test")
  proc = subprocess.run(
      [BAZEL, f"--output_user_root={user_root}", "--max_idle_secs=30",
       "query", "--noimplicit_deps", *_stand_ins(str(tmp_path)),
       "deps(//...)"],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=400)
  assert proc.returncode == 0, proc.stderr[-3000:]
  labels = set(proc.stdout.split())

  for package in ("benchmarks", "biom_tf", "tfrecords", "tools"):
    assert f"//{package}:{package}" in labels
    for path in _files(f"{package}/**/*.py"):
      assert f"//{package}:{path[len(package) + 1:]}" in labels, path
  for path in _files("tools/*.py") + _files("tools/tpu/*.py"):
    name = path[len("tools/"):-len(".py")]
    if name not in ("__init__", "cli", "tpu/__init__", "tpu/gcloud"):
      assert f"//tools:{name}" in labels, f"no py_binary for {path}"
  test_files = _files("tests/**/test_*.py")
  assert "tests/distributed/test_bazel.py" in test_files
  for path in test_files:
    assert f"//tests:{path[len('tests/'):-len('.py')]}" in labels, path
