"""Helpers shared by the tests that compare biom_tf with the torch oracles.

Random weights and inputs for tiny models, our inputs as torch tensors, and
the one max-abs-difference check every parity test uses. Import only from
tests that already skip without torch (`pytest.importorskip("torch")`).
"""
import numpy as np


def randomize(model, seed=1, scale=0.5):
  """Random values in every variable, so no zero bias or unit gamma hides a
  bug; the scale puts pre-activations well past |x| = 1, where approximations
  (tanh vs exact GELU) differ."""
  rng = np.random.default_rng(seed)
  for v in model.variables:
    v.assign(rng.normal(0.0, scale, v.shape).astype(np.float32))
  return model


def random_inputs(vocab_size, batch=2, seq=12, predictions=3, seed=0,
                  lengths=None):
  """Pretraining-model inputs: random ids, padded rows, two segments, sorted
  masked positions. lengths: the rows' real lengths (default seq, seq - 5)."""
  rng = np.random.default_rng(seed)
  ids = rng.integers(0, vocab_size, size=(batch, seq), dtype=np.int32)
  lengths = list(lengths or [seq, seq - 5])[:batch]
  mask = np.array([[1] * n + [0] * (seq - n) for n in lengths], np.int32)
  types = np.array([[0] * (n // 2) + [1] * (seq - n // 2) for n in lengths],
                   np.int32) * mask
  positions = np.stack([np.sort(rng.choice(np.arange(1, n), predictions,
                                           replace=False)) for n in lengths])
  return dict(input_word_ids=ids, input_mask=mask, input_type_ids=types,
              masked_lm_positions=positions.astype(np.int32))


def torch_inputs(inputs):
  """Our encoder inputs as the keyword arguments of a transformers model."""
  import torch  # pylint: disable=g-import-not-at-top
  return dict(
      input_ids=torch.tensor(inputs["input_word_ids"], dtype=torch.long),
      attention_mask=torch.tensor(inputs["input_mask"], dtype=torch.long),
      token_type_ids=torch.tensor(inputs["input_type_ids"], dtype=torch.long))


def assert_close(ours, theirs, what, tol):
  """Same shape and max |ours - theirs| <= tol, naming `what` if not."""
  ours, theirs = np.asarray(ours), np.asarray(theirs)
  assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
  diff = np.max(np.abs(ours - theirs))
  assert diff <= tol, f"{what}: max |Δ| = {diff:.3g} > {tol}"


def gather_positions(logits, positions):
  """logits [B, S, ...] at positions [B, P] -> [B, P, ...]."""
  return np.take_along_axis(logits, positions[:, :, None], axis=1)
