"""Export faults: one line, nothing left behind, normal permissions.

* A location that cannot be written (read-only for this user: a 0555
  directory, or, as root, sysfs, which root cannot write either) and a
  failing gs:// copy (`ram://` with `tf.io.gfile.copy` made to raise
  PermissionDeniedError, as GCS does for a bucket without write access) give
  one `ExportError` line naming the output, in the library and in
  `convert_checkpoint` (exit 1, no traceback).
* Disk full during HF and SavedModel export: the fault is injected with
  RLIMIT_FSIZE (SIGXFSZ ignored), so that every write past 32 KiB fails
  inside the OS (EFBIG, "File too large") exactly where a full disk fails
  with ENOSPC: one line, and neither the output nor its hidden staging
  directory is left.
* SIGTERM during a SavedModel export (a `convert_checkpoint` subprocess,
  signalled once its `.tmp-sm-*` staging directory exists) removes the
  staging directory as Ctrl-C does, prints one line and exits 143.
* Exported directories get the usual modes: 0755 directories and 0644 files
  under umask 022 (0750 / 0640 under 027), not mkdtemp's 0700.
"""
import os
import resource
import signal
import stat
import subprocess
import sys
import time
import uuid

import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.checkpoints import convert
from tests.conftest import REPO_ROOT
from tests.conftest import tiny_bert

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "gene", "cancer",
         "a", "b", "c"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
  return tiny_bert(tmp_path_factory.mktemp("model"), VOCAB, hidden_size=32,
                   num_hidden_layers=2, intermediate_size=64)


@pytest.fixture(scope="module")
def tf1_input(loaded, tmp_path_factory):
  return convert.write(loaded, str(tmp_path_factory.mktemp("in") / "tf1"),
                       "tf1")


def _assert_one_line_nothing_left(error, output, parent):
  message = str(error)
  assert "\n" not in message, message
  assert message.startswith(f"{output}: cannot write"), message
  assert not os.path.exists(output)
  assert not [n for n in os.listdir(parent) if n.startswith(".tmp-")]


def _unwritable_parent(tmp_path):
  """A directory this process cannot create entries in: a read-only folder
  (not for root, who ignores permission bits), sysfs, and last a path below a
  regular file, which no user can create."""
  candidates = []
  if os.geteuid() != 0:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    candidates.append(str(locked))
  candidates.append(f"/sys/biom-tf-{uuid.uuid4().hex[:8]}")
  blocker = tmp_path / "a-file"
  blocker.write_text("x")
  candidates.append(str(blocker / "below"))
  for path in candidates:
    try:
      os.makedirs(os.path.join(path, "probe"))
    except OSError:
      return path
    os.rmdir(os.path.join(path, "probe"))
  raise AssertionError(f"every candidate was writable: {candidates}")


def test_read_only_location(tmp_path, loaded, tf1_input):
  parent = _unwritable_parent(tmp_path)
  output = os.path.join(parent, "out")
  for fmt in ("hf", "tf1"):
    with pytest.raises(convert.ExportError) as info:
      convert.write(loaded, output, fmt)
    message = str(info.value)
    assert "\n" not in message and message.startswith(
        f"{output}: cannot write {fmt} output ("), message
    assert not os.path.exists(output)


def test_gs_copy_failure(monkeypatch, loaded):
  root = f"ram://faults-{uuid.uuid4().hex[:8]}"
  real_copy = tf.io.gfile.copy
  calls = []

  def failing_copy(src, dst, overwrite=False):
    calls.append(dst)
    if len(calls) == 3:  # after some files have gone up
      raise tf.errors.PermissionDeniedError(
          None, None, f"Error executing an HTTP request: HTTP response code "
          f"403 with body 'Access denied.' when uploading {dst}")
    return real_copy(src, dst, overwrite=overwrite)

  monkeypatch.setattr(tf.io.gfile, "copy", failing_copy)
  output = root + "/out"
  with pytest.raises(convert.ExportError) as info:
    convert.write(loaded, output, "hf")
  message = str(info.value)
  assert "\n" not in message and message.startswith(
      f"{output}: cannot write hf output (Error executing an HTTP request"), message
  assert not tf.io.gfile.exists(output)


@pytest.fixture
def small_disk():
  """Writes past 32 KiB fail (EFBIG) while the fixture is active."""
  soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
  previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
  resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, hard))
  try:
    yield
  finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize("fmt", ["hf", "savedmodel"])
def test_disk_full(tmp_path, loaded, fmt, request):
  output = str(tmp_path / "out")
  request.getfixturevalue("small_disk")
  with pytest.raises(convert.ExportError) as info:
    convert.write(loaded, output, fmt)
  _assert_one_line_nothing_left(info.value, output, tmp_path)
  assert "too large" in str(info.value).lower(), str(info.value)


@pytest.mark.parametrize("umask,dirs,files", [(0o022, 0o755, 0o644),
                                              (0o027, 0o750, 0o640)])
def test_exported_directory_modes(tmp_path, loaded, umask, dirs, files):
  old = os.umask(umask)
  try:
    out = convert.write(loaded, str(tmp_path / "hf"), "hf")
  finally:
    os.umask(old)
  for root, subdirs, names in os.walk(out):
    assert stat.S_IMODE(os.stat(root).st_mode) == dirs, root
    for name in names:
      path = os.path.join(root, name)
      assert stat.S_IMODE(os.stat(path).st_mode) == files, path


def _convert(tf1_input, output, fmt):
  return [sys.executable, "-m", "tools.convert_checkpoint",
          "--model_family=bert", f"--input={tf1_input}", "--input_format=tf1",
          f"--output={output}", f"--output_format={fmt}"]


@pytest.mark.slow
def test_convert_checkpoint_read_only_output(tmp_path, tf1_input):
  output = os.path.join(_unwritable_parent(tmp_path), "out")
  proc = subprocess.run(_convert(tf1_input, output, "hf"), cwd=REPO_ROOT,
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1, proc.stderr[-2000:]
  assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
  last = proc.stderr.strip().splitlines()[-1]
  assert last.startswith(f"convert_checkpoint: error: {output}: cannot "
                         "write hf output ("), last


@pytest.mark.slow
def test_sigterm_during_savedmodel_export_cleans_up(tmp_path, tf1_input):
  work = tmp_path / "work"
  work.mkdir()
  proc = subprocess.Popen(_convert(tf1_input, str(work / "sm"), "savedmodel"),
                          cwd=REPO_ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.time() + 240
    while not [n for n in os.listdir(work) if n.startswith(".tmp-sm-")]:
      assert proc.poll() is None, proc.communicate()[1][-2000:]
      assert time.time() < deadline, "no staging directory appeared"
      time.sleep(0.05)
    time.sleep(0.5)  # well inside the export
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
  finally:
    if proc.poll() is None:
      proc.kill()
  assert proc.returncode == 128 + signal.SIGTERM, stderr[-2000:]
  assert "Traceback" not in stderr, stderr[-2000:]
  assert stderr.strip().splitlines()[-1] == (
      "convert_checkpoint: interrupted (SIGTERM); nothing was written at "
      f"{work / 'sm'}")
  assert os.listdir(work) == []
