"""Optimizers against the published update rules, computed by hand in numpy.

The oracles below transcribe the originals' formulas (google-research/bert
optimization.py, albert lamb_optimizer.py, electra optimization.py): Adam
moments WITHOUT bias correction, decoupled weight decay skipped for
LayerNorm / layer_norm / bias, LAMB's trust ratio ||w|| / ||update||.
"""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import optimizers


def _np_step(w, g, m, v, lr, wd, decay, lamb, b1=0.9, b2=0.999, eps=1e-6):
  m = b1 * m + (1 - b1) * g
  v = b2 * v + (1 - b2) * g * g
  update = m / (np.sqrt(v) + eps)
  if decay:
    update = update + wd * w
  ratio = 1.0
  if lamb:
    wn, un = np.linalg.norm(w), np.linalg.norm(update)
    ratio = wn / un if wn > 0 and un > 0 else 1.0
  return w - ratio * lr * update, m, v


def test_schedule_warmup_then_linear_decay():
  sched = optimizers.learning_rate_schedule(1e-3, num_train_steps=100,
                                            num_warmup_steps=10)
  got = [float(sched(s)) for s in (0, 5, 10, 55, 100, 150)]
  # Warmup: lr * step / warmup; then (1 - step / total) * lr, from step 0.
  want = [0.0, 5e-4, 1e-3 * 0.9, 1e-3 * 0.45, 0.0, 0.0]
  np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)


def test_schedule_power_and_end_value():
  sched = optimizers.learning_rate_schedule(1.0, 10, 0, end_learning_rate=0.1,
                                            power=2.0)
  np.testing.assert_allclose(float(sched(5)), 0.9 * 0.25 + 0.1, rtol=1e-6)


@pytest.mark.parametrize("optimizer_type", ["adamw", "lamb"])
def test_two_steps_match_hand_computed_update(optimizer_type):
  rng = np.random.default_rng(0)
  names = ["encoder/dense/kernel", "encoder/dense/bias",
           "embeddings/layer_norm/gamma", "bert/LayerNorm/beta"]
  init = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=4),
          rng.normal(size=4)]
  grads = [[rng.normal(size=x.shape) * 0.1 for x in init] for _ in range(2)]
  variables = [tf.Variable(x, dtype=tf.float32, name=n)
               for x, n in zip(init, names)]
  lr, wd = 0.01, 0.1
  opt = optimizers.create_optimizer(lr, num_train_steps=1000,
                                    num_warmup_steps=0,
                                    optimizer_type=optimizer_type,
                                    weight_decay_rate=wd, clip_norm=0)
  want = [(x.copy(), np.zeros_like(x), np.zeros_like(x)) for x in init]
  for step in range(2):
    opt.apply_gradients(zip([tf.constant(g, tf.float32) for g in grads[step]],
                            variables))
    step_lr = lr * (1 - step / 1000)
    want = [_np_step(w, g, m, v, step_lr, wd, decay=(i == 0),
                     lamb=(optimizer_type == "lamb" and i == 0))
            for i, ((w, m, v), g) in enumerate(zip(want, grads[step]))]
  for var, (w, _, _) in zip(variables, want):
    np.testing.assert_allclose(var.numpy(), w, rtol=1e-5, atol=1e-7)


def test_first_step_has_no_bias_correction():
  # With m = v = 0, one step moves w by lr * 0.1 g / (sqrt(0.001) |g|):
  # ~3.16 * lr, where bias-corrected Adam would move it by lr.
  var = tf.Variable([1.0], name="w/kernel")
  opt = optimizers.create_optimizer(0.1, 10, 0, weight_decay_rate=0.0,
                                    clip_norm=0)
  opt.apply_gradients([(tf.constant([2.0]), var)])
  np.testing.assert_allclose(1.0 - var.numpy()[0], 0.1 * 0.1 / np.sqrt(1e-3),
                             rtol=1e-4)


def test_slots_have_original_names():
  var = tf.Variable([1.0], name="w/kernel")
  opt = optimizers.create_optimizer(0.1, 10, 0)
  opt.apply_gradients([(tf.constant([2.0]), var)])
  assert sorted(opt.get_slot_names()) == ["adam_m", "adam_v"]


def test_clips_to_global_norm_one():
  # Gradients of global norm 10 behave exactly like the same gradients / 10.
  a = [tf.Variable([1.0, 2.0], name="a/kernel") for _ in range(2)]
  b = [tf.Variable([1.0, 2.0], name="a/kernel") for _ in range(2)]
  g = [tf.constant([6.0, 8.0]), tf.constant([0.0, 0.0])]
  opt_a = optimizers.create_optimizer(0.1, 10, 0, clip_norm=1.0)
  opt_b = optimizers.create_optimizer(0.1, 10, 0, clip_norm=0)
  for _ in range(2):
    opt_a.apply_gradients(zip(g, a))
    opt_b.apply_gradients(zip([x / 10.0 for x in g], b))
  for x, y in zip(a, b):
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
  # The moments saw the clipped gradient too.
  np.testing.assert_allclose(opt_a.get_slot(a[0], "adam_m").numpy(),
                             opt_b.get_slot(b[0], "adam_m").numpy(), rtol=1e-6)


def test_layerwise_decay_scales_the_update_by_depth():
  names = ["word_embeddings/embeddings", "transformer/layer_0/dense/kernel",
           "transformer/layer_1/dense/kernel", "pooler_transform/kernel"]
  variables = [tf.Variable([1.0], name=n) for n in names]
  opt = optimizers.create_optimizer(0.1, 10, 0, weight_decay_rate=0.0,
                                    clip_norm=0, layerwise_lr_decay=0.5,
                                    num_layers=2)
  opt.apply_gradients([(tf.constant([3.0]), v) for v in variables])
  moved = np.array([1.0 - v.numpy()[0] for v in variables])
  # ELECTRA: lr * decay ** (L + 2 - depth), depth 0 / 1 / 2 / top (L + 2).
  np.testing.assert_allclose(moved / moved[-1], [0.5 ** 4, 0.5 ** 3, 0.5 ** 2, 1],
                             rtol=1e-5)


def test_layer_depth_reads_original_and_model_garden_names():
  assert optimizers.layer_depth("bert/encoder/layer_11/output/dense/kernel", 12) == 12
  assert optimizers.layer_depth("bert/embeddings/word_embeddings", 12) == 0
  assert optimizers.layer_depth("embedding_projection/kernel", 12) == 0
  assert optimizers.layer_depth("transformer/layer_0/output_layer_norm/gamma", 12) == 1
  assert optimizers.layer_depth("classifier/kernel", 12) == 14


def test_bad_settings_are_clear_errors():
  with pytest.raises(optimizers.OptimizerError, match="optimizer_type"):
    optimizers.create_optimizer(0.1, 10, 0, optimizer_type="sgd")
  with pytest.raises(optimizers.OptimizerError, match="num_layers"):
    optimizers.create_optimizer(0.1, 10, 0, layerwise_lr_decay=0.8)
  with pytest.raises(optimizers.OptimizerError, match="num_train_steps"):
    optimizers.create_optimizer(0.1, 0, 0)


def test_second_moment_uses_the_originals_one_minus_beta_2():
  """The originals' `1.0 - self.beta_2` is Python (float64) arithmetic cast
  to float32, i.e. 0.001; TensorFlow's fused Adam kernel computed it in
  float32 (0.00099998713), every second moment 1.3e-5 too small. The
  reference is google-research/bert's AdamWeightDecayOptimizer update in
  float64 numpy."""
  rng = np.random.default_rng(1)
  init = rng.normal(size=(64,))
  grads = [rng.normal(size=(64,)) for _ in range(3)]
  var = tf.Variable(init, dtype=tf.float32, name="encoder/dense/kernel")
  opt = optimizers.create_optimizer(1e-3, num_train_steps=10 ** 6,
                                    num_warmup_steps=0, weight_decay_rate=0.01,
                                    clip_norm=0)
  w = init.astype(np.float32).astype(np.float64)
  m = np.zeros(64)
  v = np.zeros(64)
  for step, g in enumerate(grads):
    g32 = g.astype(np.float32)
    opt.apply_gradients([(tf.constant(g32), var)])
    g64 = g32.astype(np.float64)
    w, m, v = _np_step(w, g64, m, v, 1e-3 * (1 - step / 10 ** 6), 0.01,
                       decay=True, lamb=False)
    np.testing.assert_allclose(opt.get_slot(var, "adam_v").numpy(), v,
                               rtol=1e-6, err_msg=f"step {step + 1}")
    np.testing.assert_allclose(opt.get_slot(var, "adam_m").numpy(), m,
                               rtol=1e-6, atol=1e-7, err_msg=f"step {step + 1}")
    np.testing.assert_allclose(var.numpy(), w, rtol=1e-6, atol=1e-9)
