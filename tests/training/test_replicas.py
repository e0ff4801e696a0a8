"""Two replicas of a MirroredStrategy make the update one replica makes.

Same global batch (16): one device reads 16 examples, two logical CPUs read
8 each; losses are normalized by the whole batch's denominators and the
gradients summed, so the weights after 3 updates agree to float tolerance.
A 2-replica run stopped and resumed ends where the straight run does.
"""
import numpy as np
import pytest

from tests.training.conftest import run_module


@pytest.mark.slow
def test_two_replicas_equal_one_replica(pubmed_records, tmp_path):
  proc = run_module("tests.training.replicas_main", pubmed_records["bert"],
                    str(pubmed_records["vocab_size"]), "bert", str(tmp_path))
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert "2 replica(s) x 8 examples" in proc.stdout, proc.stdout
  saved = np.load(tmp_path / "weights.npz")
  count = len([k for k in saved.files if k.startswith("one_")])
  assert count > 20
  moved = 0.0
  for i in range(count):
    one, two = saved[f"one_{i}"], saved[f"two_{i}"]
    np.testing.assert_allclose(one, two, rtol=1e-4, atol=1e-6)
    moved = max(moved, np.abs(one - saved[f"initial_{i}"]).max())
    # Stopped after one update and resumed: the same as straight through.
    np.testing.assert_allclose(saved[f"resumed_{i}"], two, rtol=0, atol=1e-6)
  assert moved > 1e-3  # the updates were not empty
  assert "resumed from" in proc.stdout
