"""Output a person can read: a tool's own progress lines, and no INFO lines
from TensorFlow or absl unless `--verbosity` asks for them.

`run_quietly_or_not` runs a tool as users run it (`python -m tools.NAME`, in
a subprocess whose environment does not set TF_CPP_MIN_LOG_LEVEL);
tests/training/test_demo.py runs `make demo`'s tool that way and checks its
output with `INFO_LINE`. Here: the pattern itself, and that `--verbosity`
given on the command line is kept.
"""
import os
import re
import subprocess
import sys

from absl import flags
from absl import logging
from absl.testing import flagsaver
import biom_tf  # noqa: F401

import tools

from tests.conftest import REPO_ROOT

# absl's and TensorFlow's C++ INFO lines ("I1203 12:27:49.459364 ...",
# "... I tensorflow/core/...") and Python logging's default ("INFO:...").
INFO_LINE = re.compile(
    r"^(I\d{4} \d\d:\d\d:\d\d|INFO:)|: I (tensorflow|external)/", re.M)


def run_quietly_or_not(module, *args, timeout=300):
  env = {k: v for k, v in os.environ.items()
         if k not in ("TF_CPP_MIN_LOG_LEVEL",)}
  env["PYTHONPATH"] = REPO_ROOT
  proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT,
                        capture_output=True, text=True, timeout=timeout,
                        env=env)
  return proc, proc.stdout + proc.stderr


def test_info_lines_pattern():
  """The pattern finds the INFO lines `make demo` printed before the fix."""
  seen = ("I1203 12:27:52.224121 140584115886976 builder_impl.py:836] Assets "
          "written to: x/assets\n"
          "2026-12-03 12:27:36.8: I tensorflow/core/platform/cpu_feature_guard"
          ".cc:210] This TensorFlow binary is optimized\n"
          "INFO:tensorflow:Assets written to: x\n")
  assert len(INFO_LINE.findall(seen)) == 3
  assert not INFO_LINE.search("== 5/5 export\nseed 1: step 4/4 (epoch 1.0/1)"
                              " loss 0.6931\nINFORMATION line\n")


def test_verbosity_asked_for_is_kept(monkeypatch):
  """What `tools` runs once absl has parsed a tool's flags."""
  with flagsaver.flagsaver():
    flags.FLAGS(["tool"])
    logging.set_verbosity(logging.INFO)  # what absl's app.run does
    tools._quiet_unless_asked()  # pylint: disable=protected-access
    assert logging.get_verbosity() == logging.WARNING
    flags.FLAGS(["tool", "--verbosity=0"])
    tools._quiet_unless_asked()  # pylint: disable=protected-access
    assert logging.get_verbosity() == logging.INFO
  for argv, asked in [(["--verbosity=1"], True), (["-v", "1"], True),
                      (["--v=0"], True), (["--task=ner"], False)]:
    monkeypatch.setattr("sys.argv", ["tool"] + argv)
    assert tools._verbosity_asked() is asked  # pylint: disable=protected-access
