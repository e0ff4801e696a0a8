"""The optimizers BERT, ALBERT and ELECTRA were trained with, for tf_keras.

What the originals do (google-research/bert `optimization.py`, albert
`lamb_optimizer.py`, electra `model/optimization.py`), per variable w with
gradient g (after clipping all gradients to global norm 1.0):

  m <- beta_1 * m + (1 - beta_1) * g
  v <- beta_2 * v + (1 - beta_2) * g^2
  update = m / (sqrt(v) + epsilon)          # NO bias correction
  update += weight_decay_rate * w           # unless the name matches
                                            # LayerNorm / layer_norm / bias
  ratio = ||w|| / ||update||  (LAMB only; 1.0 if either norm is 0 or the name
                               is excluded as above)
  w <- w - ratio * lr * multiplier(w) * update

`multiplier(w)` is 1, or ELECTRA's layer-wise learning-rate decay
(`layerwise_lr_decay` ** (depth below the top), depth read from the variable's
name).

Model Garden's `AdamWeightDecay` (official.modeling.optimization.legacy_adamw)
is Keras Adam plus decay, i.e. WITH bias correction, and its `LAMB` also
bias-corrects; neither matches the checkpoints' training, so the update above
is ours. The learning-rate schedule is Model Garden's `WarmUp` around Keras'
`PolynomialDecay`, which together equal the originals' schedule.
"""
import re
from typing import Callable, List, Optional

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf
import tf_keras
from official.nlp import optimization as mg_optimization

# The originals' exclusions, matched with re.search against variable names.
EXCLUDE_FROM_WEIGHT_DECAY = ("LayerNorm", "layer_norm", "bias")
OPTIMIZER_TYPES = ("adamw", "lamb")


class OptimizerError(ValueError):
  """An optimizer setting that cannot work."""


def learning_rate_schedule(learning_rate: float, num_train_steps: int,
                           num_warmup_steps: int = 0,
                           end_learning_rate: float = 0.0,
                           power: float = 1.0):
  """Linear warmup to `learning_rate`, then polynomial decay to the end value.

  lr(step) = learning_rate * step / num_warmup_steps            if step < warmup
           = (learning_rate - end) * (1 - min(step, N) / N) ** power + end
  with N = num_train_steps, exactly as `tf.train.polynomial_decay` followed by
  the originals' warmup override (the decay counts from step 0, not from the
  end of warmup).
  """
  if num_train_steps <= 0:
    raise OptimizerError(
        f"num_train_steps={num_train_steps}: expected a positive integer")
  if num_warmup_steps < 0:
    raise OptimizerError(
        f"num_warmup_steps={num_warmup_steps}: expected >= 0")
  schedule = tf_keras.optimizers.schedules.PolynomialDecay(
      initial_learning_rate=learning_rate, decay_steps=num_train_steps,
      end_learning_rate=end_learning_rate, power=power)
  if num_warmup_steps:
    schedule = mg_optimization.WarmUp(
        initial_learning_rate=learning_rate, decay_schedule_fn=schedule,
        warmup_steps=num_warmup_steps)
  return schedule


def _variable_name(name: str) -> str:
  """`a/b/kernel:0` -> `a/b/kernel` (and drops a MirroredVariable suffix)."""
  name = re.sub(r":\d+$", "", name)
  return re.sub(r"/replica_\d+$", "", name)


def layer_depth(name: str, num_layers: int) -> int:
  """ELECTRA's depth of a variable: embeddings 0, layer i -> i + 1, else top.

  Recognizes Model Garden names (`transformer/layer_3/...`,
  `word_embeddings/embeddings`, `embedding_projection/...`) and the original
  TF1 names (`bert/encoder/layer_3/...`, `bert/embeddings/...`). Anything
  else (pooler, pretraining or task heads) sits on top, at num_layers + 2,
  like ELECTRA's `task_specific/`.
  """
  match = re.search(r"(?:^|/)layer_(\d+)/", name)
  if match:
    return int(match.group(1)) + 1
  if re.search(r"embedding", name, flags=re.IGNORECASE):
    return 0
  return num_layers + 2


class AdamWeightDecay(tf_keras.optimizers.legacy.Optimizer):
  """The original BERT / ELECTRA AdamW (no bias correction); LAMB as ALBERT's.

  Gradient clipping is Keras' `global_clipnorm`, which runs after gradients
  are summed across replicas. (TF1 BERT on TPU clipped each core's gradient
  before `CrossShardOptimizer` summed them; clipping the summed gradient makes
  a run independent of the number of replicas, which the tests check.)
  """

  def __init__(self,
               learning_rate=1e-4,
               weight_decay_rate: float = 0.0,
               beta_1: float = 0.9,
               beta_2: float = 0.999,
               epsilon: float = 1e-6,
               exclude_from_weight_decay: Optional[List[str]] = None,
               layer_adaptation: bool = False,
               exclude_from_layer_adaptation: Optional[List[str]] = None,
               lr_multiplier: Optional[Callable[[str], float]] = None,
               name: str = "AdamWeightDecay",
               **kwargs):
    """
    Args:
      learning_rate: float or a tf_keras LearningRateSchedule of the step.
      weight_decay_rate: decoupled decay added to the update (0.01 in the
        originals).
      beta_1, beta_2, epsilon: Adam moments and denominator constant.
      exclude_from_weight_decay: regexes; matching variables get no decay.
      layer_adaptation: True for LAMB's per-tensor trust ratio.
      exclude_from_layer_adaptation: regexes; default: the decay exclusions
        (as ALBERT's LAMB).
      lr_multiplier: variable name -> factor on its learning rate (layer-wise
        decay); applied to the update, since Adam's update does not change
        when the gradient is scaled.
      **kwargs: Keras optimizer arguments, e.g. `global_clipnorm=1.0`.
    """
    super().__init__(name, **kwargs)
    self._set_hyper("learning_rate", learning_rate)
    self._set_hyper("beta_1", beta_1)
    self._set_hyper("beta_2", beta_2)
    # The originals compute `1.0 - beta` in Python (float64), then cast:
    # float32(1 - 0.999) = 0.001, where 1 - float32(0.999) = 0.00099998713.
    self._one_minus = {name: 1.0 - float(value)
                       for name, value in (("beta_1", beta_1),
                                           ("beta_2", beta_2))
                       if isinstance(value, (int, float))}
    self.epsilon = epsilon
    self.weight_decay_rate = weight_decay_rate
    self.exclude_from_weight_decay = list(exclude_from_weight_decay or [])
    self.layer_adaptation = layer_adaptation
    if exclude_from_layer_adaptation is None:
      exclude_from_layer_adaptation = self.exclude_from_weight_decay
    self.exclude_from_layer_adaptation = list(exclude_from_layer_adaptation)
    self.lr_multiplier = lr_multiplier

  def _create_slots(self, var_list):
    # The originals' slot names (`<var>/adam_m`, `<var>/adam_v`).
    for var in var_list:
      self.add_slot(var, "adam_m")
    for var in var_list:
      self.add_slot(var, "adam_v")

  def _prepare_local(self, var_device, var_dtype, apply_state):
    super()._prepare_local(var_device, var_dtype, apply_state)
    apply_state[(var_device, var_dtype)].update(
        beta_1=tf.identity(self._get_hyper("beta_1", var_dtype)),
        beta_2=tf.identity(self._get_hyper("beta_2", var_dtype)),
        one_minus_beta_1=self._one_minus_beta("beta_1", var_dtype),
        one_minus_beta_2=self._one_minus_beta("beta_2", var_dtype),
        epsilon=tf.convert_to_tensor(self.epsilon, var_dtype))

  def _one_minus_beta(self, name, var_dtype):
    if name in self._one_minus:
      return tf.constant(self._one_minus[name], var_dtype)
    return 1.0 - self._get_hyper(name, var_dtype)

  def do_weight_decay(self, name: str) -> bool:
    if not self.weight_decay_rate:
      return False
    return not any(re.search(r, name) for r in self.exclude_from_weight_decay)

  def do_layer_adaptation(self, name: str) -> bool:
    if not self.layer_adaptation:
      return False
    return not any(re.search(r, name)
                   for r in self.exclude_from_layer_adaptation)

  def _update(self, grad, var, apply_state):
    """The new (m, v, var) tensors for a dense gradient."""
    coefficients = (apply_state or {}).get((var.device, var.dtype.base_dtype))
    if coefficients is None:
      coefficients = self._fallback_apply_state(var.device,
                                                var.dtype.base_dtype)
    name = _variable_name(var.name)
    m = self.get_slot(var, "adam_m")
    v = self.get_slot(var, "adam_v")
    beta_1, beta_2 = coefficients["beta_1"], coefficients["beta_2"]
    next_m = beta_1 * m + coefficients["one_minus_beta_1"] * grad
    next_v = beta_2 * v + coefficients["one_minus_beta_2"] * tf.square(grad)
    update = next_m / (tf.sqrt(next_v) + coefficients["epsilon"])
    if self.do_weight_decay(name):
      update += self.weight_decay_rate * var
    learning_rate = coefficients["lr_t"]
    if self.lr_multiplier is not None:
      learning_rate = learning_rate * self.lr_multiplier(name)
    if self.do_layer_adaptation(name):
      w_norm = tf.norm(var, ord=2)
      u_norm = tf.norm(update, ord=2)
      ratio = tf.where(w_norm > 0.0,
                       tf.where(u_norm > 0.0, w_norm / u_norm, 1.0), 1.0)
      learning_rate = learning_rate * ratio
    return m, v, next_m, next_v, var - learning_rate * update

  def _resource_apply_dense(self, grad, var, apply_state=None):
    # Not TensorFlow's fused `ResourceApplyAdam`: it computes 1 - beta_2 in
    # float32 (every second-moment update 1.3e-5 too small) and applies the
    # decay and the Adam step as two updates; this is the originals' update
    # op for op.
    m, v, next_m, next_v, next_var = self._update(grad, var, apply_state)
    return tf.group(var.assign(next_var, use_locking=self._use_locking),
                    m.assign(next_m, use_locking=self._use_locking),
                    v.assign(next_v, use_locking=self._use_locking))

  def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
    # The originals' gradients are dense (tf.gradients of a one-hot matmul);
    # densify so the moments of untouched rows decay exactly as theirs do.
    dense = tf.math.unsorted_segment_sum(grad, indices, tf.shape(var)[0])
    return self._resource_apply_dense(dense, var, apply_state)

  def get_config(self):
    config = super().get_config()
    config.update(
        learning_rate=self._serialize_hyperparameter("learning_rate"),
        beta_1=self._serialize_hyperparameter("beta_1"),
        beta_2=self._serialize_hyperparameter("beta_2"),
        epsilon=self.epsilon,
        weight_decay_rate=self.weight_decay_rate,
        exclude_from_weight_decay=self.exclude_from_weight_decay,
        layer_adaptation=self.layer_adaptation,
        exclude_from_layer_adaptation=self.exclude_from_layer_adaptation)
    return config


def layerwise_lr_multiplier(layerwise_lr_decay: float,
                            num_layers: int) -> Callable[[str], float]:
  """ELECTRA's per-variable factor: decay ** (num_layers + 2 - depth)."""
  def multiplier(name: str) -> float:
    return layerwise_lr_decay ** (num_layers + 2 - layer_depth(name, num_layers))
  return multiplier


def create_optimizer(learning_rate: float,
                     num_train_steps: int,
                     num_warmup_steps: int,
                     optimizer_type: str = "adamw",
                     weight_decay_rate: float = 0.01,
                     end_learning_rate: float = 0.0,
                     power: float = 1.0,
                     beta_1: float = 0.9,
                     beta_2: float = 0.999,
                     epsilon: float = 1e-6,
                     clip_norm: float = 1.0,
                     layerwise_lr_decay: float = 1.0,
                     num_layers: Optional[int] = None):
  """The original optimizer with its schedule, as a tf_keras optimizer.

  Args:
    learning_rate: peak learning rate.
    num_train_steps: steps of the polynomial decay (to `end_learning_rate`).
    num_warmup_steps: steps of linear warmup from 0.
    optimizer_type: "adamw" (BERT, ELECTRA) or "lamb" (ALBERT).
    weight_decay_rate: decoupled weight decay; LayerNorm and bias excluded.
    clip_norm: clip all gradients to this global norm; 0 or None: no clipping.
    layerwise_lr_decay: ELECTRA fine-tuning's layer-wise decay (1.0: none).
    num_layers: encoder depth; required when layerwise_lr_decay != 1.

  Returns:
    An `AdamWeightDecay` (a tf_keras legacy optimizer) whose
    `iterations` is the global step.
  """
  if optimizer_type not in OPTIMIZER_TYPES:
    raise OptimizerError(f"optimizer_type={optimizer_type!r}: expected one of "
                         f"{OPTIMIZER_TYPES}")
  if not 0.0 < layerwise_lr_decay <= 1.0:
    raise OptimizerError(f"layerwise_lr_decay={layerwise_lr_decay}: expected a "
                         "value in (0, 1]")
  multiplier = None
  if layerwise_lr_decay != 1.0:
    if not num_layers:
      raise OptimizerError("layerwise_lr_decay needs num_layers (the encoder's "
                           "num_hidden_layers)")
    multiplier = layerwise_lr_multiplier(layerwise_lr_decay, num_layers)
  kwargs = {}
  if clip_norm:
    kwargs["global_clipnorm"] = clip_norm
  return AdamWeightDecay(
      learning_rate=learning_rate_schedule(learning_rate, num_train_steps,
                                           num_warmup_steps, end_learning_rate,
                                           power),
      weight_decay_rate=weight_decay_rate,
      beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
      exclude_from_weight_decay=list(EXCLUDE_FROM_WEIGHT_DECAY),
      layer_adaptation=(optimizer_type == "lamb"),
      lr_multiplier=multiplier,
      name="LAMB" if optimizer_type == "lamb" else "AdamWeightDecay",
      **kwargs)
