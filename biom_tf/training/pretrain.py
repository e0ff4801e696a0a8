"""Pretraining and continued pretraining under tf.distribute.

A custom loop in the shape of the originals' TPUEstimator runs:

  host:    for each call: run `iterations_per_loop` steps inside one
           tf.function (fewer to land on a checkpoint or the last step),
           then write TensorBoard summaries and, every
           `save_checkpoints_steps`, a checkpoint.
  replica: sum the loss denominators over the whole update (all replicas,
           all micro-batches), then for each of `gradient_accumulation_steps`
           micro-batches compute loss and gradients (XLA-compiled with
           `jit_compile`, the default on TPU and GPU), add them up, and
           apply once: the optimizer sums over replicas and clips the
           global norm to 1.0.

`train_batch_size` is the global batch of one update, as in the originals;
each replica reads train_batch_size / replicas examples per step and splits
them into micro-batches. Checkpoints hold the model, the optimizer (whose
`iterations` is the global step) and the dropout generators' state; the
input's position follows from the step (`inputs.RecordOrder`, a seeded order
that a resumed run enters in constant time under every strategy), so a
killed run restarts at the same step on the same data with the same random
draws;
ELECTRA's samples come from stateless seeds of (seed, step, replica,
micro-batch). Under MultiWorkerMirroredStrategy only the chief writes
output_dir (config, summaries, metrics.jsonl, checkpoints); the other
workers checkpoint to output_dir/worker-<task_id> (see
`strategy.checkpoint_dir`).
"""
import dataclasses
import json
import os
import time
from typing import Dict, Optional

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf
import tf_keras

from biom_tf import configs
from biom_tf import errors
from biom_tf import fileio
from biom_tf import models
from biom_tf.checkpoints import detect
from biom_tf.checkpoints import integrity
from biom_tf.training import dynamic_masking
from biom_tf.training import inputs
from biom_tf.training import objectives
from biom_tf.training import optimizers
from biom_tf.training import strategy as strategy_lib

BERT_STATS = ("mlm_loss_sum", "mlm_hits", "mlm_weight", "sentence_loss_sum",
              "sentence_hits", "examples")
ELECTRA_STATS = ("mlm_loss_sum", "mlm_hits", "mlm_weight", "disc_loss_sum",
                 "disc_hits", "tokens", "replaced", "examples")
METRICS_FILE = "metrics.jsonl"
# Record counts of input files without a datagen manifest (inputs.py).
INPUT_COUNTS_FILE = "input_records.json"


class PretrainingError(ValueError):
  """Settings of a pretraining run that cannot work."""


@dataclasses.dataclass
class PretrainingConfig:
  """One run: the originals' run_pretraining flags, plus ours."""
  model_config: configs.ModelConfig
  output_dir: str
  input_file: str = ""
  eval_input_file: str = ""          # default: input_file, as the originals
  init_checkpoint: Optional[str] = None
  # The vocabulary: only needed for ELECTRA records without masks, which
  # are masked during training ([CLS] / [SEP] / [MASK] ids).
  vocab_file: Optional[str] = None
  spm_model_file: Optional[str] = None
  max_seq_length: int = 128
  max_predictions_per_seq: int = 20
  train_batch_size: int = 32
  eval_batch_size: int = 8
  learning_rate: float = 5e-5
  num_train_steps: int = 100000
  num_warmup_steps: int = 10000
  save_checkpoints_steps: int = 1000
  iterations_per_loop: int = 1000
  max_eval_steps: int = 100
  keep_checkpoint_max: int = 5
  optimizer: str = "adamw"
  weight_decay_rate: float = 0.01
  gradient_accumulation_steps: int = 1
  # XLA-compile the forward/backward step. None: yes on TPU and GPU, no on
  # CPU, where XLA's kernels measured ~25% slower than TensorFlow's own
  # (BENCHMARKS.md, "Pretraining").
  jit_compile: Optional[bool] = None
  mixed_precision: str = "none"
  seed: int = 12345
  # ELECTRA (google-research/electra configure_pretraining defaults).
  generator_weight: float = 1.0
  discriminator_weight: float = 50.0
  # On-the-fly masking rate; None: google-research/electra's per-size
  # default (0.15 small/base, 0.25 large; dynamic_masking.default_mask_prob).
  mask_prob: Optional[float] = None
  temperature: float = 1.0
  # Stop (as if killed) once this many steps are done; for tests and drills.
  stop_after_steps: Optional[int] = None

  @property
  def family(self) -> str:
    return self.model_config.family

  def validate(self):
    for name in ("max_seq_length", "max_predictions_per_seq",
                 "train_batch_size", "eval_batch_size", "num_train_steps",
                 "save_checkpoints_steps", "iterations_per_loop",
                 "keep_checkpoint_max", "gradient_accumulation_steps"):
      value = getattr(self, name)
      if not isinstance(value, int) or value <= 0:
        raise PretrainingError(f"--{name}={value!r}: expected a positive "
                               "integer")
    if self.num_warmup_steps < 0 or self.max_eval_steps < 0:
      raise PretrainingError("--num_warmup_steps and --max_eval_steps must be "
                             ">= 0")
    if self.max_seq_length > self.model_config.max_position_embeddings:
      raise PretrainingError(
          f"--max_seq_length={self.max_seq_length} exceeds the model's "
          f"max_position_embeddings={self.model_config.max_position_embeddings}")
    if self.max_predictions_per_seq > self.max_seq_length:
      raise PretrainingError(
          f"--max_predictions_per_seq={self.max_predictions_per_seq} exceeds "
          f"--max_seq_length={self.max_seq_length}")
    if not self.output_dir:
      raise PretrainingError("--output_dir is required")
    if self.mask_prob is not None and not 0.0 < self.mask_prob < 1.0:
      raise PretrainingError(f"--mask_prob={self.mask_prob}: expected a "
                             "fraction in (0, 1)")


class Trainer:
  """Model, optimizer, input iterators and checkpoints of one run."""

  def __init__(self, config: PretrainingConfig,
               strategy: Optional[tf.distribute.Strategy] = None):
    config.validate()
    self.config = config
    self.strategy = strategy or tf.distribute.get_strategy()
    self.precision = strategy_lib.resolve_precision(config.mixed_precision,
                                                    self.strategy)
    strategy_lib.set_precision_policy(self.precision)
    self.per_replica_batch = strategy_lib.per_replica_batch_size(
        config.train_batch_size, self.strategy,
        config.gradient_accumulation_steps)
    self.micro_batch = (self.per_replica_batch //
                        config.gradient_accumulation_steps)
    self.jit_compile = config.jit_compile
    self.is_chief = strategy_lib.is_chief(self.strategy)
    self.checkpoint_dir = strategy_lib.checkpoint_dir(config.output_dir,
                                                      self.strategy)
    if self.jit_compile is None:
      self.jit_compile = (strategy_lib.is_tpu(self.strategy) or
                          strategy_lib.has_gpu(self.strategy))
    # Dropout draws from tf.random.Generators, whose state our checkpoints
    # hold (see _dropout_generators); Keras' default stateful random ops
    # would restart their sequence in a new process. The fixed seed gives
    # identical initial weights in every run.
    tf_keras.backend.experimental.enable_tf_random_generator()
    tf_keras.utils.set_random_seed(config.seed)
    with self.strategy.scope():
      self.model = models.build_pretrainer(config.model_config)
      self.schedule = optimizers.learning_rate_schedule(
          config.learning_rate, config.num_train_steps,
          config.num_warmup_steps)
      optimizer = optimizers.create_optimizer(
          config.learning_rate, config.num_train_steps,
          config.num_warmup_steps, optimizer_type=config.optimizer,
          weight_decay_rate=config.weight_decay_rate)
      if self.precision == "fp16":
        optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
      self.optimizer = optimizer
      self.dropout_generators = _dropout_generators(self.model)
      # Create slots now, so that restoring a checkpoint fills them at once.
      self.optimizer._create_all_weights(self.model.trainable_variables)  # pylint: disable=protected-access
    self.stat_keys = ELECTRA_STATS if config.family == "electra" else BERT_STATS
    self._has_gradient = None
    self._gradients_fn = tf.function(self._gradients,
                                     jit_compile=self.jit_compile)
    self._train_loop_fn = tf.function(self._train_loop)
    self._eval_step_fn = tf.function(self._eval_step)
    self._masking = None
    self._shard_lists = {}
    self.train_iterator = None
    self.checkpoint = None
    self.manager = None

  # ------------------------------------------------------------- the step
  @property
  def global_step(self) -> int:
    return int(self.optimizer.iterations.numpy())

  def _loss(self, batch, totals, seed, training):
    if self.config.family == "electra":
      return objectives.electra_loss(
          self.model, batch, totals, seed, training=training,
          generator_weight=self.config.generator_weight,
          discriminator_weight=self.config.discriminator_weight,
          temperature=self.config.temperature)
    return objectives.bert_loss(self.model, batch, totals, training=training)

  def _gradients(self, batch, totals, seed):
    """Gradients summed over this replica's micro-batches, and stat sums.

    batch: this replica's [per_replica_batch, ...] tensors; totals: the
    update's loss denominators; seed: [2] int64.
    """
    variables = self.model.trainable_variables
    steps = self.config.gradient_accumulation_steps

    def micro_step(micro_batch, micro_seed):
      with tf.GradientTape() as tape:
        loss, stats = self._loss(micro_batch, totals, micro_seed, True)
        if self.precision == "fp16":
          loss = self.optimizer.get_scaled_loss(loss)
      grads = tape.gradient(loss, variables)
      if self._has_gradient is None:  # at trace time: pooler etc. unused
        self._has_gradient = [g is not None for g in grads]
      grads = [tf.convert_to_tensor(g) if g is not None else tf.zeros_like(v)
               for g, v in zip(grads, variables)]
      return grads, stats

    if steps == 1:
      return micro_step(batch, seed)
    split = {k: tf.reshape(v, [steps, self.micro_batch] + v.shape[1:].as_list())
             for k, v in batch.items()}
    grads = [tf.zeros_like(v) for v in variables]
    stats = {k: tf.constant(0.0) for k in self.stat_keys}
    for i in tf.range(steps):
      micro_batch = {k: v[i] for k, v in split.items()}
      micro_seed = tf.random.experimental.stateless_fold_in(seed, i)
      micro_grads, micro_stats = micro_step(micro_batch, micro_seed)
      grads = [a + b for a, b in zip(grads, micro_grads)]
      stats = {k: stats[k] + micro_stats[k] for k in self.stat_keys}
    return grads, stats

  def _seed(self, step, replica_id):
    seed = tf.constant([self.config.seed, 0], tf.int64)
    seed = tf.random.experimental.stateless_fold_in(seed, step)
    return tf.random.experimental.stateless_fold_in(seed, replica_id)

  def _train_replica_step(self, batch, step):
    context = tf.distribute.get_replica_context()
    totals = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                objectives.denominators(batch))
    seed = self._seed(step, context.replica_id_in_sync_group)
    grads, stats = self._gradients_fn(batch, totals, seed)
    if self.precision == "fp16":
      grads = self.optimizer.get_unscaled_gradients(grads)
    pairs = [(g, v) for g, v, used in zip(grads, self.model.trainable_variables,
                                          self._has_gradient) if used]
    self.optimizer.apply_gradients(pairs)
    return stats

  def _train_loop(self, iterator, num_steps):
    """Runs num_steps updates in one host call; returns summed stats."""
    sums = {k: tf.constant(0.0) for k in self.stat_keys}
    for _ in tf.range(num_steps):
      step = tf.identity(self.optimizer.iterations)
      per_replica = self.strategy.run(self._train_replica_step,
                                      args=(next(iterator), step))
      sums = {k: sums[k] + self.strategy.reduce(
          tf.distribute.ReduceOp.SUM, per_replica[k], axis=None)
              for k in self.stat_keys}
    return sums

  def _eval_replica_step(self, batch):
    context = tf.distribute.get_replica_context()
    totals = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                objectives.denominators(batch))
    seed = self._seed(tf.constant(0, tf.int64), context.replica_id_in_sync_group)
    _, stats = self._loss(batch, totals, seed, False)
    return stats

  def _eval_step(self, batch):
    per_replica = self.strategy.run(self._eval_replica_step, args=(batch,))
    return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM,
                                    per_replica[k], axis=None)
            for k in self.stat_keys}

  # --------------------------------------------------------------- data
  def _dynamic_masking(self):
    cfg = self.config
    if cfg.family != "electra" or not (cfg.vocab_file or cfg.spm_model_file):
      return None
    if self._masking is None:
      from biom_tf import tokenization  # pylint: disable=g-import-not-at-top
      tokenizer = tokenization.build_tokenizer(
          vocab_file=cfg.vocab_file, spm_model_file=cfg.spm_model_file)
      self._masking = dynamic_masking.DynamicMasking.from_tokenizer(
          tokenizer, cfg.max_predictions_per_seq,
          mask_prob=(cfg.mask_prob if cfg.mask_prob is not None else
                     dynamic_masking.default_mask_prob(cfg.model_config)))
    return self._masking

  def _shards(self, input_file):
    """The input's TFRecord shards, listed and checked once per pattern."""
    if input_file not in self._shard_lists:
      self._shard_lists[input_file] = inputs.list_shards(input_file)
    return self._shard_lists[input_file]

  def _dataset(self, input_file, global_batch, is_training, skip_steps=0):
    cfg = self.config
    return inputs.distributed_dataset(
        self.strategy, global_batch, skip_steps=skip_steps,
        dynamic_masking=self._dynamic_masking(),
        input_file=self._shards(input_file), family=cfg.family,
        max_seq_length=cfg.max_seq_length,
        max_predictions_per_seq=cfg.max_predictions_per_seq,
        is_training=is_training, seed=cfg.seed,
        vocab_size=cfg.model_config.vocab_size,
        counts_cache=os.path.join(self.checkpoint_dir, INPUT_COUNTS_FILE))

  # -------------------------------------------------------- checkpoints
  def restore_or_initialize(self) -> str:
    """Resumes from output_dir's newest readable checkpoint, else
    --init_checkpoint. Writes nothing.

    A damaged checkpoint (truncated or bit-flipped files) is passed over for
    the newest one that reads, with one line saying so; a checkpoint of
    another model is an error naming it.
    """
    cfg = self.config
    self.checkpoint = tf.train.Checkpoint(
        model=self.model, optimizer=self.optimizer,
        dropout_generators=self.dropout_generators)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, self.checkpoint_dir,
        max_to_keep=cfg.keep_checkpoint_max,
        step_counter=self.optimizer.iterations, checkpoint_name="ckpt")
    candidates = list(reversed(self.manager.checkpoints))
    skipped = []
    for prefix in candidates:
      try:
        integrity.check_readable(prefix)
      except integrity.CheckpointError as e:
        print(f"[pretrain] skipping {e}", flush=True)
        skipped.append(prefix)
        continue
      try:
        status = self.checkpoint.restore(prefix)
        status.assert_existing_objects_matched()
      except (ValueError, AssertionError, tf.errors.OpError) as e:
        raise PretrainingError(
            f"{prefix}: does not fit this model ({errors.first_line(e)}); resume "
            "with the configuration it was trained with, or use another "
            "--output_dir") from None
      status.expect_partial()  # e.g. an input iterator saved by older runs
      note = f" (skipped damaged {', '.join(skipped)})" if skipped else ""
      return f"resumed from {prefix} at step {self.global_step}{note}"
    if candidates:
      raise PretrainingError(
          f"{self.checkpoint_dir}: every checkpoint is damaged "
          f"({', '.join(candidates)}); move them away to start over")
    if cfg.init_checkpoint:
      with self.strategy.scope():
        return detect.restore(
            self.model, cfg.init_checkpoint, cfg.model_config)
    return "initialized from scratch"

  def _prepare_output(self):
    """Creates output_dir, writes the config; once every check passed."""
    cfg = self.config
    try:
      tf.io.gfile.makedirs(self.checkpoint_dir)
      if self.is_chief:
        cfg.model_config.to_json_file(os.path.join(
            cfg.output_dir, configs.CONFIG_FILE_NAMES[cfg.family]))
        _drop_metrics_after(os.path.join(cfg.output_dir, METRICS_FILE),
                            self.global_step)
    except (tf.errors.OpError, errors.OutputError) as e:
      raise PretrainingError(f"--output_dir={cfg.output_dir}: cannot write: "
                             f"{errors.first_line(e)}") from None

  def _save(self, step):
    """Writes checkpoint `step`; on failure removes what it left, one line."""
    try:
      self.manager.save(checkpoint_number=step)
    except BaseException as e:  # also KeyboardInterrupt / SIGTERM
      _remove_partial_checkpoint(self.checkpoint_dir, step)
      if isinstance(e, tf.errors.OpError):
        raise PretrainingError(
            f"{self.checkpoint_dir}: cannot write checkpoint ckpt-{step}: "
            f"{errors.first_line(e)} (nothing of it kept; the run resumes from the "
            "previous checkpoint)") from None
      raise

  # ------------------------------------------------------------ training
  def train(self) -> Dict[str, float]:
    """Trains to num_train_steps (or stop_after_steps); returns last metrics.

    Every check (inputs, checkpoint, shapes) runs before anything is written
    to output_dir. The data position is restored from the step alone (see
    `inputs.RecordOrder`): the same batches as an uninterrupted run, at a
    cost that does not grow with the step, under every strategy.
    """
    cfg = self.config
    self._shards(cfg.input_file)
    message = self.restore_or_initialize()
    self.train_iterator = iter(self._dataset(
        cfg.input_file, cfg.train_batch_size, True,
        skip_steps=self.global_step))
    self._prepare_output()
    print(f"[pretrain] {message}", flush=True)
    print(f"[pretrain] {self._describe()}", flush=True)
    writer = self._summary_writer("train")
    last = {}
    stop_at = cfg.num_train_steps
    if cfg.stop_after_steps:
      stop_at = min(stop_at, cfg.stop_after_steps)
    step = self.global_step
    while step < stop_at:
      next_save = (step // cfg.save_checkpoints_steps + 1) * cfg.save_checkpoints_steps
      n = min(cfg.iterations_per_loop, next_save - step, stop_at - step)
      start = time.time()
      try:
        sums = self._train_loop_fn(self.train_iterator, tf.constant(n))
        sums = {k: float(v.numpy()) for k, v in sums.items()}
      except tf.errors.DataLossError as e:
        raise PretrainingError(self._damaged_input(e)) from None
      except tf.errors.InvalidArgumentError as e:
        if inputs.VOCAB_CHECK not in str(e) and "is not in [0, " not in str(e):
          raise
        raise PretrainingError(
            f"--input_file={cfg.input_file}: a record near step "
            f"{self.global_step + 1} holds a token id outside the model's "
            f"vocab_size={cfg.model_config.vocab_size}; records made with "
            "another vocabulary?"
            ) from None
      elapsed = time.time() - start
      step = self.global_step
      last = objectives.summarize(cfg.family, sums, cfg.discriminator_weight)
      last.update(learning_rate=float(self.schedule(step - 1)),
                  examples_per_second=sums["examples"] / max(elapsed, 1e-9),
                  step=step)
      self._log(writer, last, step)
      if step % cfg.save_checkpoints_steps == 0 or step >= stop_at:
        self._save(step)
    writer.flush()
    return last

  def _damaged_input(self, error) -> str:
    """One line naming the damaged shard (found by reading them through)."""
    found = inputs.find_damaged_record(self._shards(self.config.input_file))
    if found:
      return f"{found}; the run resumes from step {self._last_saved()}"
    return (f"--input_file={self.config.input_file}: damaged record "
            f"({errors.first_line(error)})")

  def _last_saved(self) -> int:
    latest = self.manager.latest_checkpoint if self.manager else None
    return int(latest.rsplit("-", 1)[1]) if latest else 0

  def evaluate(self) -> Dict[str, float]:
    """max_eval_steps batches of eval_input_file; writes eval_results.txt."""
    cfg = self.config
    if self.checkpoint is None:
      print(f"[pretrain] {self.restore_or_initialize()}", flush=True)
    replicas = self.strategy.num_replicas_in_sync
    if cfg.eval_batch_size % replicas:
      raise PretrainingError(f"--eval_batch_size={cfg.eval_batch_size} must "
                             f"be a multiple of the {replicas} replicas")
    dataset = self._dataset(cfg.eval_input_file or cfg.input_file,
                            cfg.eval_batch_size, False)
    sums = {k: 0.0 for k in self.stat_keys}
    steps = 0
    for batch in dataset:
      if steps >= cfg.max_eval_steps:
        break
      for k, v in self._eval_step_fn(batch).items():
        sums[k] += float(v.numpy())
      steps += 1
    if not steps:
      raise PretrainingError(
          "evaluation read no full batch: the eval data has fewer than "
          f"--eval_batch_size={cfg.eval_batch_size} records")
    results = objectives.summarize(cfg.family, sums, cfg.discriminator_weight)
    results.update(global_step=self.global_step, eval_steps=steps)
    if self.is_chief:
      path = os.path.join(cfg.output_dir, "eval_results.txt")
      fileio.write_atomic(path, "".join(f"{k} = {results[k]}\n"
                                      for k in sorted(results)))
    writer = self._summary_writer("eval")
    with writer.as_default(step=self.global_step):
      for k, v in results.items():
        tf.summary.scalar(k, v)
    writer.flush()
    return results

  # ------------------------------------------------------------- output
  def _describe(self) -> str:
    cfg = self.config
    return (f"{cfg.family}: {self.strategy.num_replicas_in_sync} replica(s) x "
            f"{self.per_replica_batch} examples"
            f" ({cfg.gradient_accumulation_steps} micro-batch(es) of "
            f"{self.micro_batch}) = {cfg.train_batch_size} per update; "
            f"precision {self.precision}; XLA {self.jit_compile}; "
            f"step {self.global_step}/{cfg.num_train_steps}")

  def _summary_writer(self, name):
    """TensorBoard writer for output_dir/name; a no-op off the chief."""
    if not self.is_chief:
      return tf.summary.create_noop_writer()
    return tf.summary.create_file_writer(os.path.join(self.config.output_dir,
                                                      name))

  def _log(self, writer, metrics, step):
    with writer.as_default(step=step):
      for k, v in metrics.items():
        if k != "step":
          tf.summary.scalar(k, v)
    if self.is_chief:
      with tf.io.gfile.GFile(os.path.join(self.config.output_dir,
                                          METRICS_FILE), "a") as f:
        f.write(json.dumps(metrics) + "\n")
    shown = " ".join(f"{k}={v:.4g}" for k, v in metrics.items()
                     if k not in ("step",))
    print(f"[pretrain] step {step}: {shown}", flush=True)


def _dropout_generators(model):
  """The tf.random.Generator of every dropout layer, created now.

  Keras keeps them out of checkpoints (`BaseRandomLayer._trackable_children`)
  and creates them lazily; we create them up front and checkpoint them
  ourselves, so a resumed run draws the masks the uninterrupted one would.
  """
  generators, seen = [], set()
  for layer in model.submodules:
    rng = getattr(layer, "_random_generator", None)
    if rng is None or id(rng) in seen:
      continue
    seen.add(id(rng))
    rng._maybe_init()  # pylint: disable=protected-access
    if rng._generator is not None:  # pylint: disable=protected-access
      generators.append(rng._generator)  # pylint: disable=protected-access
  return generators


def _drop_metrics_after(path: str, step: int):
  """Keeps the rows of metrics.jsonl up to `step` (the resumed one).

  Rows logged after the last checkpoint (a run killed before its next
  checkpoint, or one whose checkpoint failed) are logged again by the
  resumed run; without this they would appear twice.
  """
  if not tf.io.gfile.exists(path):
    return
  with tf.io.gfile.GFile(path, "r") as f:
    lines = f.read().splitlines()
  kept = []
  for line in lines:
    try:
      row = json.loads(line)
    except ValueError:
      continue  # a row cut short by a kill
    if isinstance(row, dict) and row.get("step", 0) <= step:
      kept.append(line)
  if len(kept) != len(lines):
    fileio.write_atomic(path, "".join(k + "\n" for k in kept))


def _remove_partial_checkpoint(directory: str, step: int):
  """Removes what a failed save of ckpt-<step> left (`ckpt-N_temp/`, files
  not yet listed in the `checkpoint` state file)."""
  prefix = os.path.join(directory, f"ckpt-{step}")
  state = tf.train.get_checkpoint_state(directory)
  listed = set(state.all_model_checkpoint_paths) if state else set()
  for path in tf.io.gfile.glob(prefix + "_temp*"):
    try:
      tf.io.gfile.rmtree(path) if tf.io.gfile.isdir(path) else (
          tf.io.gfile.remove(path))
    except tf.errors.OpError:
      pass
  if prefix in listed or os.path.basename(prefix) in listed:
    return
  for path in tf.io.gfile.glob(prefix + ".*"):
    try:
      tf.io.gfile.remove(path)
    except tf.errors.OpError:
      pass


def run_pretraining(config: PretrainingConfig,
                    strategy: Optional[tf.distribute.Strategy] = None,
                    do_train: bool = True, do_eval: bool = False):
  """Trains and/or evaluates; returns (trainer, train metrics, eval metrics)."""
  if not do_train and not do_eval:
    raise PretrainingError("at least one of --do_train / --do_eval must be "
                           "true")
  trainer = Trainer(config, strategy)
  train_metrics = trainer.train() if do_train else {}
  eval_metrics = trainer.evaluate() if do_eval else {}
  return trainer, train_metrics, eval_metrics
