"""absl-flag command-line tools, one per stage: flags → one library call.

Output a person can read: every tool prints its own progress lines, and
TensorFlow's and absl's INFO lines stay out of the terminal unless asked for
with absl's `--verbosity` (`-v`). Importing this package (which `python -m
tools.NAME` does before the tool's module, so before TensorFlow loads):

  * sets TF_CPP_MIN_LOG_LEVEL=2 (TensorFlow's C++ INFO and WARNING lines
    hidden) unless it is set, or `--verbosity`/`-v` is on the command line;
  * once absl has parsed the flags (`app.call_after_init`), sets absl's and
    TensorFlow's Python logging to WARNING unless `--verbosity` was given
    (absl's `app.run` would otherwise raise it to INFO).
"""
import os
import sys


def _verbosity_asked() -> bool:
  """Whether the command line sets absl's --verbosity (or -v)."""
  return any(arg.split("=", 1)[0] in ("--verbosity", "-verbosity", "--v",
                                      "-v")
             for arg in sys.argv[1:])


def _quiet_unless_asked():
  """absl and TensorFlow Python logging at WARNING unless --verbosity."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  from absl import logging  # pylint: disable=g-import-not-at-top
  if "verbosity" in flags.FLAGS and not flags.FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)


if not _verbosity_asked():
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _register():
  from absl import app  # pylint: disable=g-import-not-at-top
  # Only for a tool run as a program: a library user's or a test's logging
  # is theirs (before app.run, call_after_init queues the callback).
  if getattr(app._run_init, "done", False):  # pylint: disable=protected-access
    return
  app.call_after_init(_quiet_unless_asked)


_register()
