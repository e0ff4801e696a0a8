"""Fine-tuning and evaluation on one task, over several seeds.

`run_finetuning(settings)` is what `tools/run_finetuning.py` calls:

  1. read the task data (`biom_tf.tasks`), build the tokenizer, encode every
     split once (rows unpadded; each batch is padded to its longest row);
  2. for each seed (and each fold, for k-fold tasks): a new encoder + head
     (`biom_tf.models.heads`), initialized from `init_checkpoint` (original
     TF1, Hugging Face, or our own object checkpoint), trained with the
     originals' AdamW and schedule (`optimizers.create_optimizer`, ELECTRA's
     layer-wise decay included) under the chosen tf.distribute strategy;
  3. predict devel and test, score them with the task's metric, and write

       output_dir/eval_results.json   {"runs": {"seed_1": {"devel": ..,
                                       "test": ..}, ..}, "mean": .., "std": ..,
                                       "unit": "fraction"}: scores are
                                       fractions (F1 0.8731, not 87.31)
       output_dir/seed_<s>/{devel,test}_predictions.<jsonl|txt>
       output_dir/seed_<s>/model/     the fine-tuned model, `biom` export
                                      layout + label_map.json

Every file appears complete or not at all (temporary name, then rename),
and nothing is written into output_dir before every check has passed (the
settings, the data, the vocabulary and its casing, the strategy, and the
first model initialized from `init_checkpoint`). eval_results.json is merged
with the one already in output_dir (earlier seeds kept, a rerun seed
replaced; their settings must agree) and rewritten after every seed.

The vocabulary and its casing come with the checkpoint: without
`vocab_file`/`spm_model_file` they are looked for in the checkpoint's
directory (a Hugging Face directory, ours, or a TF1 checkpoint with
vocab.txt beside it), and `do_lower_case=None` follows the checkpoint
(`tokenization.resolve_do_lower_case`); a contradicting value is an error.
Each loss is the mean over what the global batch labels (tokens with a
label, examples, or both span ends): per-unit weights are computed before the
batch is split over replicas, so the summed replica gradients are exactly
the global mean's gradient.
"""
import dataclasses
import json
import math
import os
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence

from absl import logging
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import tensorflow as tf
import tf_keras

from biom_tf import checkpoints
from biom_tf import fileio
from biom_tf.checkpoints import convert
from biom_tf.checkpoints import detect
from biom_tf.checkpoints import huggingface
from biom_tf.checkpoints import tables
from biom_tf.configs import ModelConfig
from biom_tf.models import heads
from biom_tf import tasks as tasks_lib
from biom_tf import tokenization
from biom_tf.tokenization import build_tokenizer
from biom_tf.training import optimizers
from biom_tf.training import strategy as strategy_lib


class FinetuneError(ValueError):
  """A fine-tuning setting that cannot work."""


@dataclasses.dataclass
class FinetuneSettings:
  """Everything one `run_finetuning` call needs (the tool's flags)."""
  task: str
  data_dir: str
  output_dir: str
  config: ModelConfig
  vocab_file: Optional[str] = None       # None: found beside init_checkpoint
  spm_model_file: Optional[str] = None
  do_lower_case: Optional[bool] = None   # None: the checkpoint's casing
  init_checkpoint: Optional[str] = None
  # The originals' --do_train / --do_eval / --do_predict: train, then score
  # the devel split, and the test split. Without training, init_checkpoint is
  # a fine-tuned model (encoder and this task's head) that is scored as is.
  do_train: bool = True
  do_eval: bool = True
  do_predict: bool = True
  max_seq_length: int = 128
  train_batch_size: int = 32
  eval_batch_size: int = 64
  learning_rate: float = 5e-5
  num_train_epochs: float = 3.0
  warmup_proportion: float = 0.1
  weight_decay_rate: float = 0.01
  layerwise_lr_decay: float = 1.0
  seeds: Sequence[int] = (1,)
  head_dropout: float = 0.1
  strategy: str = "default"
  tpu_name: Optional[str] = None
  tpu_zone: Optional[str] = None
  gcp_project: Optional[str] = None
  num_tpu_cores: Optional[int] = None    # checked against the TPU's replicas
  save_model: bool = True
  # Task options (see biom_tf.tasks.get_task).
  window_stride: Optional[int] = None
  negative_label: Optional[str] = None
  num_folds: int = 10
  doc_stride: int = 128
  max_query_length: int = 64
  train_split: str = "train"             # NER: 'train_dev' (BioBERT protocol)
  # Speed: pad each batch to a multiple of this (fewer distinct shapes), and
  # compile the training step with XLA (once per batch shape).
  pad_to_multiple_of: int = 8
  jit_compile: bool = False
  log_every: int = 50
  # Train on a fixed random subset of this many training examples (per fold;
  # CI-sized runs); None: all.
  max_train_examples: Optional[int] = None
  # Called after every training step with {'seed', 'step', 'num_steps',
  # 'epoch' (fractional), 'num_epochs', 'loss'} (progress lines, ETAs).
  progress: Optional[Callable[[Dict[str, Any]], None]] = None
  # Called with each line worth a person's attention (the checkpoint read,
  # each seed's scores); they are logged at INFO either way.
  report: Optional[Callable[[str], None]] = None

  def validate(self):
    checks = [
        (self.max_seq_length >= 8, f"max_seq_length={self.max_seq_length}: "
         "expected >= 8"),
        (self.max_seq_length <= self.config.max_position_embeddings,
         f"max_seq_length={self.max_seq_length} exceeds the model's "
         f"max_position_embeddings={self.config.max_position_embeddings}"),
        (self.train_batch_size > 0, f"train_batch_size="
         f"{self.train_batch_size}: expected > 0"),
        (self.eval_batch_size > 0, f"eval_batch_size={self.eval_batch_size}: "
         "expected > 0"),
        (self.learning_rate > 0, f"learning_rate={self.learning_rate}: "
         "expected > 0"),
        (self.num_train_epochs > 0, f"num_train_epochs="
         f"{self.num_train_epochs}: expected > 0"),
        (0 <= self.warmup_proportion < 1, f"warmup_proportion="
         f"{self.warmup_proportion}: expected a value in [0, 1)"),
        (0 < self.layerwise_lr_decay <= 1, f"layerwise_lr_decay="
         f"{self.layerwise_lr_decay}: expected a value in (0, 1]"),
        (len(self.seeds) > 0, "seeds: expected at least one seed"),
        (len(set(self.seeds)) == len(self.seeds), f"seeds={list(self.seeds)}: "
         "repeated seed"),
        (self.max_train_examples is None or self.max_train_examples > 0,
         f"max_train_examples={self.max_train_examples}: expected > 0"),
        (self.do_train or self.do_eval or self.do_predict,
         "at least one of do_train, do_eval or do_predict must be true"),
        (self.do_train or bool(self.init_checkpoint),
         "do_train=false scores a fine-tuned model: pass it as "
         "init_checkpoint"),
        (self.do_train or len(self.seeds) == 1,
         f"seeds={list(self.seeds)}: without training every seed gives the "
         "same scores; pass one seed"),
    ]
    for ok, message in checks:
      if not ok:
        raise FinetuneError(message)


# ------------------------------------------------- vocabulary and casing
def checkpoint_directory(path: Optional[str]) -> Optional[str]:
  """The directory a checkpoint's files sit in (the path itself for a
  Hugging Face or biom directory, the prefix's directory for TF1)."""
  if not path:
    return None
  if tf.io.gfile.isdir(path):
    return path.rstrip("/")
  return os.path.dirname(path) or "."


def resolve_tokenizer(settings: FinetuneSettings) -> FinetuneSettings:
  """`settings` with the vocabulary and casing filled in from the checkpoint.

  The vocabulary: `vocab_file`/`spm_model_file`, else the one in the
  checkpoint's directory (found as the exporter finds it). The casing: the
  directory's tokenizer_config.json or biom_model.json, else the vocabulary
  itself (`tokenization.resolve_do_lower_case`); an explicit `do_lower_case`
  that contradicts it raises.
  """
  if settings.init_checkpoint and not (
      tf.io.gfile.exists(settings.init_checkpoint) or
      tf.io.gfile.exists(settings.init_checkpoint + ".index")):
    raise FinetuneError(f"{settings.init_checkpoint}: init_checkpoint not "
                        "found")
  vocab_file, spm_model_file = settings.vocab_file, settings.spm_model_file
  directory = checkpoint_directory(settings.init_checkpoint)
  if not (vocab_file or spm_model_file) and directory:
    vocab_file, spm_model_file = convert.find_tokenizer_files(
        directory, None, None)
  if not (vocab_file or spm_model_file):
    where = (f" (none in {directory}: no vocab.txt or spiece.model)"
             if directory else "")
    raise FinetuneError("no vocabulary: pass --vocab_file (WordPiece) or "
                        f"--spm_model_file (SentencePiece){where}")
  tokenizer_config = None
  if directory:
    for name in ("tokenizer_config.json", convert.BIOM_META):
      if tf.io.gfile.exists(os.path.join(directory, name)):
        tokenizer_config = os.path.join(directory, name)
        break
  do_lower_case = tokenization.resolve_do_lower_case(
      settings.do_lower_case, vocab_file, spm_model_file, tokenizer_config)
  return dataclasses.replace(settings, vocab_file=vocab_file,
                             spm_model_file=spm_model_file,
                             do_lower_case=do_lower_case)


# -------------------------------------------------------- earlier results
RESULTS_FILE = "eval_results.json"
# Settings that change the scores: seeds merged into one eval_results.json
# must agree on them.
_RESULT_SETTINGS = (
    "task", "family", "config", "init_checkpoint", "do_lower_case",
    "max_seq_length", "train_batch_size", "learning_rate", "num_train_epochs",
    "warmup_proportion", "weight_decay_rate", "layerwise_lr_decay",
    "head_dropout", "window_stride", "negative_label", "num_folds",
    "doc_stride", "max_query_length", "max_train_examples", "train_split",
    "do_train")


def _comparable(name: str, value):
  value = json.loads(json.dumps(value))
  if name == "init_checkpoint" and value and "://" not in value:
    value = os.path.abspath(value)
  return value


def previous_runs(settings: FinetuneSettings) -> Dict[str, Any]:
  """The runs already in output_dir/eval_results.json ({} if none).

  Raises FinetuneError if the file is damaged or its seeds were run with
  settings that change the scores (it cannot be merged with this run).
  """
  path = os.path.join(settings.output_dir, RESULTS_FILE)
  if not tf.io.gfile.exists(path):
    return {}
  try:
    with tf.io.gfile.GFile(path) as f:
      previous = json.load(f)
  except (ValueError, UnicodeDecodeError, tf.errors.OpError) as e:
    raise FinetuneError(f"{path}: cannot read earlier results "
                        f"({str(e).splitlines()[0]}); move it away or use "
                        "another --output_dir") from None
  runs = previous.get("runs") if isinstance(previous, dict) else None
  if not isinstance(runs, dict):
    raise FinetuneError(f"{path}: not a results file (no 'runs'); move it "
                        "away or use another --output_dir")
  old = previous.get("settings", {})
  new = _settings_record(settings)
  for name in _RESULT_SETTINGS:
    if name in old and name in new and (_comparable(name, old[name]) !=
                                        _comparable(name, new[name])):
      shown = ("the model config differs" if name == "config" else
               f"{name}={old[name]!r}, this run has {name}={new[name]!r}")
      raise FinetuneError(
          f"{path}: holds seeds run with other settings ({shown}); use "
          "another --output_dir")
  return dict(runs)


def _seed_number(run_name: str) -> int:
  try:
    return int(run_name.rsplit("_", 1)[-1])
  except ValueError:
    return 0


# --------------------------------------------------------- initialization
def initialize_encoder(encoder, path: str, config: ModelConfig) -> str:
  """Loads `path` (TF1, Hugging Face or our object checkpoint) into `encoder`.

  Object checkpoints hold the encoder under `model/encoder` (ELECTRA
  pretrainer: `model/discriminator`); only encoder variables are read.
  Returns a one-line summary (`checkpoints.detect.restore`).
  """
  return detect.restore(encoder, path, config, encoder_only=True)


def initialize_finetuned_model(model: heads.FineTuningModel, path: str,
                               config: ModelConfig) -> str:
  """Loads a fine-tuned model, encoder and head, into `model`.

  For scoring without training (do_train=false): `path` is one of our
  fine-tuned models (seed_N/model) or a Hugging Face *For... directory.
  """
  kind = detect.checkpoint_kind(path)
  if kind == "huggingface":
    huggingface.load_hf_model(model, path, config, require_heads=True)
    return f"loaded fine-tuned model from Hugging Face directory {path}"
  if kind == "tf1":
    raise FinetuneError(f"{path}: an original TF1 checkpoint; without "
                        "do_train, init_checkpoint must be a fine-tuned model "
                        "(ours, or a Hugging Face directory)")
  prefix = checkpoints.resolve_checkpoint_path(path)
  checkpoints.check_readable(prefix)
  status = tf.train.Checkpoint(model=model).read(prefix)
  try:
    status.assert_existing_objects_matched()
  except AssertionError as e:
    raise checkpoints.CheckpointError(
        f"{prefix}: not a fine-tuned {config.family} model with this task's "
        f"{model.head} head ({str(e).splitlines()[0][:160]})") from None
  status.expect_partial()
  return f"loaded fine-tuned model from checkpoint {prefix}"


# ------------------------------------------------------------------ batches
def _round_up(n: int, multiple: int) -> int:
  return int(math.ceil(n / multiple) * multiple) if multiple > 1 else n


def _with_loss_weights(batch: Dict[str, np.ndarray], head: str
                       ) -> Dict[str, np.ndarray]:
  """Adds `weights`: each loss unit's share of the global batch mean."""
  labels = batch["labels"]
  if heads.HEADS[head].token_weights:
    valid = (labels >= 0).astype(np.float32)
    batch["weights"] = valid / max(valid.sum(), 1.0)
  else:
    batch["weights"] = np.full((labels.shape[0],), 1.0 / labels.shape[0],
                               np.float32)
  return batch


def training_batches(encoded: tasks_lib.Encoded, batch_size: int,
                     num_steps: int, seed: int, head: str,
                     pad_to_multiple_of: int = 1):
  """`num_steps` shuffled batches; a new permutation every pass over the data.

  The last batch of a pass may be smaller (every example is used once per
  epoch, as the Hugging Face Trainer does).
  """
  rng = np.random.RandomState(seed)
  lengths = encoded.lengths()
  produced = 0
  while True:
    order = rng.permutation(len(encoded))
    for start in range(0, len(order), batch_size):
      if produced == num_steps:
        return
      rows = order[start:start + batch_size]
      width = _round_up(int(lengths[rows].max()), pad_to_multiple_of)
      yield _with_loss_weights(encoded.batch(rows, length=width), head)
      produced += 1


def steps_per_epoch(num_rows: int, batch_size: int) -> int:
  return int(math.ceil(num_rows / batch_size))


# -------------------------------------------------------------------- loss
def compute_loss(head: str, logits: tf.Tensor, labels: tf.Tensor,
                 weights: tf.Tensor) -> tf.Tensor:
  """Weighted sum of per-unit losses (weights sum to 1 over the global batch).

  token: softmax CE per labelled token (label -1 ignored); sequence: softmax
  CE; multilabel: sigmoid CE averaged over labels; regression: squared
  error; span: mean of start and end CE.
  """
  if head not in heads.HEADS:
    raise FinetuneError(f"unknown head {head!r}")
  per_unit = heads.HEADS[head].loss(tf.cast(logits, tf.float32), labels)
  return tf.reduce_sum(per_unit * weights)


def batch_spec(head: str) -> Dict[str, tf.TensorSpec]:
  spec = {k: tf.TensorSpec([None, None], tf.int32)
          for k in ("input_word_ids", "input_mask", "input_type_ids")}
  spec["labels"] = heads.HEADS[head].label_spec
  spec["weights"] = tf.TensorSpec(
      [None, None] if heads.HEADS[head].token_weights else [None], tf.float32)
  return spec


# ----------------------------------------------------------------- training
def merge_duplicate_rows(gradient: tf.IndexedSlices) -> tf.IndexedSlices:
  """One slice per row: the slices of a row (one per occurrence of a token)
  summed.

  Embedding gradients come as one slice per token. Keras' global-norm
  clipping measures the slices, not the rows they add up to, so a token seen
  twice would count ||a||² + ||b||² instead of ||a + b||²; merged, the norm is
  the gradient's own (as with the originals' one-hot TPU embeddings, and in
  torch), and the update is unchanged.
  """
  rows, positions = tf.unique(gradient.indices)
  values = tf.math.unsorted_segment_sum(gradient.values, positions,
                                        tf.shape(rows)[0])
  return tf.IndexedSlices(values, rows, gradient.dense_shape)


def make_step_fn(model: heads.FineTuningModel, optimizer):
  """One optimizer step on a batch (with `labels` and `weights`); returns the
  loss. Runs in a replica context (inside `strategy.run`) or on its own."""
  def step_fn(batch):
    with tf.GradientTape() as tape:
      logits = model(batch, training=True)
      loss = compute_loss(model.head, logits, batch["labels"],
                          batch["weights"])
    variables = model.trainable_variables
    gradients = tape.gradient(loss, variables)
    gradients = [merge_duplicate_rows(g) if isinstance(g, tf.IndexedSlices)
                 else g for g in gradients]
    # Layers the head does not use (the pooler under a token head) get None.
    optimizer.apply_gradients([(g, v) for g, v in zip(gradients, variables)
                               if g is not None])
    return loss
  return step_fn


def create_optimizer(settings: FinetuneSettings, num_steps: int):
  """The originals' AdamW with warmup + linear decay over `num_steps`."""
  return optimizers.create_optimizer(
      learning_rate=settings.learning_rate, num_train_steps=num_steps,
      num_warmup_steps=int(num_steps * settings.warmup_proportion),
      weight_decay_rate=settings.weight_decay_rate,
      layerwise_lr_decay=settings.layerwise_lr_decay,
      num_layers=settings.config.num_hidden_layers)


def train(model: heads.FineTuningModel, encoded: tasks_lib.Encoded,
          settings: FinetuneSettings, seed: int,
          strategy: tf.distribute.Strategy) -> Dict[str, float]:
  """Fine-tunes `model` (built under `strategy.scope()`) on `encoded` rows.

  Returns {'steps', 'train_seconds', 'train_examples_per_second',
  'median_step_seconds', 'final_loss'}; examples are encoded rows (windows
  for long inputs).
  """
  head = model.head
  num_steps = int(round(steps_per_epoch(len(encoded), settings.train_batch_size)
                        * settings.num_train_epochs))
  num_steps = max(num_steps, 1)
  with strategy.scope():
    optimizer = create_optimizer(settings, num_steps)
  dataset = tf.data.Dataset.from_generator(
      lambda: training_batches(encoded, settings.train_batch_size, num_steps,
                               seed, head, settings.pad_to_multiple_of),
      output_signature=batch_spec(head)).prefetch(2)
  iterator = iter(strategy.experimental_distribute_dataset(dataset))

  step_fn = make_step_fn(model, optimizer)
  if settings.jit_compile:
    step_fn = tf.function(step_fn, jit_compile=True, autograph=False)

  # No autograph: the step has no tensor-dependent Python control flow, and
  # converting the whole encoder costs seconds of tracing per model.
  @tf.function(autograph=False)
  def train_step(iterator):
    losses = strategy.run(step_fn, args=(next(iterator),))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

  start = time.time()
  loss = float("nan")
  step_seconds = []
  for step in range(num_steps):
    step_start = time.time()
    loss = float(train_step(iterator))
    step_seconds.append(time.time() - step_start)
    if not math.isfinite(loss):
      raise FinetuneError(f"seed {seed}: loss is {loss} at step {step}; lower "
                          "--learning_rate")
    if settings.progress is not None:
      settings.progress({
          "seed": seed, "step": step + 1, "num_steps": num_steps,
          "epoch": (step + 1) / steps_per_epoch(len(encoded),
                                               settings.train_batch_size),
          "num_epochs": settings.num_train_epochs, "loss": loss})
    if settings.log_every and (step + 1) % settings.log_every == 0:
      logging.info("seed %d step %d/%d loss %.4f", seed, step + 1, num_steps,
                   loss)
  seconds = time.time() - start
  # Rows seen: full batches, except the last batch of each pass.
  per_epoch = steps_per_epoch(len(encoded), settings.train_batch_size)
  rows = sum(min(settings.train_batch_size,
                 len(encoded) - (step % per_epoch) * settings.train_batch_size)
             for step in range(num_steps))
  return {"steps": num_steps, "train_seconds": seconds,
          "train_examples_per_second": rows / seconds if seconds else 0.0,
          # Steady state: the first step traces the graph.
          "median_step_seconds": float(np.median(step_seconds[1:] or
                                                 step_seconds)),
          "final_loss": loss}


def _forward_fn(model: heads.FineTuningModel):
  """model(inputs, training=False), traced once per model for any [B, S]."""
  if not hasattr(model, "_predict_fn"):
    spec = {k: tf.TensorSpec([None, None], tf.int32)
            for k in ("input_word_ids", "input_mask", "input_type_ids")}
    model._predict_fn = tf.function(  # pylint: disable=protected-access
        lambda inputs: model(inputs, training=False), input_signature=[spec],
        autograph=False)
  return model._predict_fn  # pylint: disable=protected-access


def predict(model: heads.FineTuningModel, encoded: tasks_lib.Encoded,
            batch_size: int, pad_to_multiple_of: int = 1) -> List[np.ndarray]:
  """The head's output for every row, in row order (unpadded per row)."""
  forward = _forward_fn(model)
  lengths = encoded.lengths()
  order = np.argsort(lengths, kind="stable")  # similar lengths batch together
  outputs: List[Any] = [None] * len(encoded)
  per_token = model.spec.per_token
  for start in range(0, len(order), batch_size):
    rows = order[start:start + batch_size]
    width = _round_up(int(lengths[rows].max()), pad_to_multiple_of)
    batch = encoded.batch(rows, with_labels=False, length=width)
    logits = forward(batch).numpy().astype(np.float32)
    for b, row in enumerate(rows):
      outputs[row] = logits[b, :lengths[row]] if per_token else logits[b]
  return outputs


# ------------------------------------------------------------- the driver
def subsample(examples: list, limit: int, seed: int = 0) -> list:
  """A fixed random `limit` of `examples`, in their order (all if fewer)."""
  if len(examples) <= limit:
    return examples
  keep = np.random.RandomState(seed).choice(len(examples), limit,
                                            replace=False)
  return [examples[i] for i in sorted(keep)]


def _numeric(metrics: Dict[str, Any]) -> Dict[str, float]:
  return {k: float(v) for k, v in metrics.items()
          if isinstance(v, (int, float)) and not isinstance(v, bool)}


def summarize(runs: Dict[str, Dict[str, Dict[str, Any]]]) -> Dict[str, Any]:
  """Mean and (population) std over runs of every numeric metric per split."""
  mean, std = {}, {}
  splits = sorted({s for run in runs.values() for s in run
                   if isinstance(run[s], dict)})
  for split in splits:
    values = [_numeric(run[split]) for run in runs.values() if split in run]
    keys = sorted(set.intersection(*(set(v) for v in values)))
    mean[split] = {k: float(np.mean([v[k] for v in values])) for k in keys}
    std[split] = {k: float(np.std([v[k] for v in values])) for k in keys}
  return {"mean": mean, "std": std}


def save_finetuned_model(model: heads.FineTuningModel, directory: str,
                         task: tasks_lib.Task, settings: FinetuneSettings) -> str:
  """The fine-tuned model in the exporters' `biom` layout, plus task files.

  directory/ckpt-1.*, checkpoint   tf.train.Checkpoint(model=model):
                                   `model/encoder`, `model/classifier` or
                                   `model/qa_outputs`
  directory/biom_model.json        family, config, head, num_outputs, labels,
                                   do_lower_case (read by `checkpoints.convert`:
                                   `--input_format=biom` converts it to a
                                   Hugging Face *For... model or a SavedModel)
  directory/vocab.txt | *.model    the tokenizer's vocabulary
  directory/label_map.json         task, head, labels in index order (+ the
                                   negative class, QA window settings)
  directory/finetune_config.json   task, max_seq_length, the HF class and
                                   config fields, head variables' TF1/HF names
  Written under a temporary name and renamed when complete.
  """
  config = settings.config
  staging = f"{directory}.tmp-{uuid.uuid4().hex[:8]}"
  labels = list(task.labels) if model.spec.named_labels else []
  try:
    convert.write(convert.LoadedModel(
        model=model, config=config, head=model.head,
        num_outputs=model.num_outputs, labels=labels,
        vocab_file=settings.vocab_file, spm_model_file=settings.spm_model_file,
        do_lower_case=settings.do_lower_case), staging, "biom")
    fileio.write_json(os.path.join(staging, "label_map.json"), task.label_map())
    fileio.write_json(os.path.join(staging, "finetune_config.json"), {
        "family": config.family,
        "task": task.name,
        "head": model.head,
        "num_outputs": model.num_outputs,
        "max_seq_length": settings.max_seq_length,
        "do_lower_case": settings.do_lower_case,
        "hf_architecture": heads.hf_architecture(config.family, model.head),
        "hf_config_updates": heads.hf_config_updates(model.head, labels),
        "head_variables": [dataclasses.asdict(e) for e in
                           tables.head_table(config, model.spec)],
    })
    if tf.io.gfile.exists(directory):
      tf.io.gfile.rmtree(directory)
    tf.io.gfile.rename(staging, directory)
  finally:
    if tf.io.gfile.exists(staging):
      tf.io.gfile.rmtree(staging)
  return directory


def _settings_record(settings: FinetuneSettings) -> Dict[str, Any]:
  record = dataclasses.asdict(dataclasses.replace(settings, progress=None,
                                                  report=None))
  del record["progress"], record["report"]
  record["config"] = settings.config.to_original_dict()
  record["family"] = settings.config.family
  record["seeds"] = list(settings.seeds)
  return record


def _report(settings: FinetuneSettings, line: str):
  logging.info("%s", line)
  if settings.report is not None:
    settings.report(line)


def _build_model(settings: FinetuneSettings, task: tasks_lib.Task,
                 strategy: tf.distribute.Strategy, seed: int,
                 fold_index: int, first: bool = False
                 ) -> heads.FineTuningModel:
  """A new model for (seed, fold), initialized from `init_checkpoint`."""
  tf_keras.utils.set_random_seed(seed * 1000 + fold_index)
  with strategy.scope():
    model = heads.build_finetuning_model(
        settings.config, task.head, task.num_outputs,
        dropout_rate=settings.head_dropout)
    line = None
    if settings.init_checkpoint and settings.do_train:
      line = initialize_encoder(model.encoder, settings.init_checkpoint,
                                settings.config)
    elif settings.init_checkpoint:
      line = initialize_finetuned_model(model, settings.init_checkpoint,
                                        settings.config)
  if line and first:
    _report(settings, line)
  elif line:
    logging.info("%s", line)
  return model


def _results(task: tasks_lib.Task, num_folds: int, settings: FinetuneSettings,
             runs: Dict[str, Any]) -> Dict[str, Any]:
  """eval_results.json: every run (seed), their mean and std per split."""
  runs = {name: runs[name] for name in sorted(runs, key=_seed_number)}
  record = _settings_record(settings)
  record["seeds"] = [_seed_number(name) for name in runs]
  results = {"task": task.name, "main_metric": task.main_metric,
             "labels": list(task.labels), "num_folds": num_folds,
             "unit": "fraction",  # scores in [0, 1] (correlations [-1, 1])
             "settings": record, "runs": runs}
  results.update(summarize({k: {s: v for s, v in r.items() if s != "train"}
                            for k, r in runs.items()}))
  return results


def run_finetuning(settings: FinetuneSettings,
                   tokenizer=None) -> Dict[str, Any]:
  """Fine-tunes and evaluates over every seed; returns eval_results.json.

  `tokenizer`: an already built tokenizer for settings' vocabulary (saves
  building one again); default: built from the settings.
  Raises a ValueError subclass with a one-line message on bad input; then
  nothing has been written into output_dir.
  """
  settings = resolve_tokenizer(settings)
  settings.validate()
  earlier_runs = previous_runs(settings)
  task = tasks_lib.get_task(
      settings.task, window_stride=settings.window_stride,
      negative_label=settings.negative_label, num_folds=settings.num_folds,
      doc_stride=settings.doc_stride,
      max_query_length=settings.max_query_length,
      train_split=settings.train_split)
  splits = task.read(settings.data_dir)
  if tokenizer is None:
    tokenizer = build_tokenizer(settings.vocab_file, settings.spm_model_file,
                                settings.do_lower_case)
  if tokenizer.vocab_size > settings.config.vocab_size:
    raise FinetuneError(
        f"{settings.vocab_file or settings.spm_model_file}: "
        f"{tokenizer.vocab_size} tokens, more than the model's vocab_size="
        f"{settings.config.vocab_size}")
  folds = task.folds(splits)
  if len(folds) > 1 and not settings.do_train:
    raise FinetuneError(f"task {task.name}: a k-fold evaluation trains a "
                        "model per fold; it needs do_train")
  if settings.max_train_examples:
    for fold in folds:
      fold["train"] = subsample(fold["train"], settings.max_train_examples)
  eval_splits = [split for split, wanted in (("devel", settings.do_eval),
                                             ("test", settings.do_predict))
                 if wanted]
  encoded_folds = []
  for fold in folds:
    encoded_folds.append({
        split: task.encode(examples, tokenizer, settings.max_seq_length,
                           training=(split == "train"))
        for split, examples in fold.items()
        if split in eval_splits or (split == "train" and settings.do_train)})
  strategy = strategy_lib.resolve_strategy(
      settings.strategy, tpu_name=settings.tpu_name,
      tpu_zone=settings.tpu_zone, gcp_project=settings.gcp_project)
  if (settings.num_tpu_cores and settings.strategy == "tpu" and
      strategy.num_replicas_in_sync != settings.num_tpu_cores):
    raise FinetuneError(
        f"num_tpu_cores={settings.num_tpu_cores}, but the TPU has "
        f"{strategy.num_replicas_in_sync} cores")
  strategy_lib.per_replica_batch_size(settings.train_batch_size, strategy)
  if settings.jit_compile and isinstance(
      strategy, (tf.distribute.MirroredStrategy,
                 tf.distribute.MultiWorkerMirroredStrategy)):
    raise FinetuneError(f"jit_compile: not supported with strategy="
                        f"{settings.strategy} (its gradient all-reduce does "
                        "not compile); use it with default, cpu or tpu")
  # The last check: the first model, initialized from init_checkpoint (a
  # damaged or unfitting checkpoint fails here, before anything is written).
  first_model = _build_model(settings, task, strategy, settings.seeds[0], 0,
                             first=True)

  runs = dict(earlier_runs)
  results = _results(task, len(folds), settings, runs)
  for seed in settings.seeds:
    outputs = {split: [] for split in eval_splits}
    stats = []
    for fold_index, encoded in enumerate(encoded_folds):
      if first_model is not None:
        model, first_model = first_model, None
      else:
        model = _build_model(settings, task, strategy, seed, fold_index)
      if settings.do_train:
        stats.append(train(model, encoded["train"], settings, seed, strategy))
      for split in eval_splits:
        outputs[split] += predict(model, encoded[split],
                                  settings.eval_batch_size,
                                  settings.pad_to_multiple_of)
    run, predictions_text = {}, {}
    for split in eval_splits:
      if len(folds) == 1:
        examples, encoded = folds[0][split], encoded_folds[0][split]
      else:  # pooled k-fold predictions: rows re-encoded in the same order
        examples = [e for fold in folds for e in fold[split]]
        encoded = task.encode(examples, tokenizer, settings.max_seq_length,
                              training=False)
      metrics, predictions = task.evaluate(examples, encoded, outputs[split])
      run[split] = metrics
      predictions_text[split] = task.format_predictions(predictions)
    if stats:
      run["train"] = {
          "steps": sum(s["steps"] for s in stats),
          "seconds": sum(s["train_seconds"] for s in stats),
          "examples_per_second": float(np.mean(
              [s["train_examples_per_second"] for s in stats])),
          "final_loss": stats[-1]["final_loss"]}
    # Written only now, the seed's work done: a failing run leaves no
    # output_dir, no empty seed_N/.
    seed_dir = os.path.join(settings.output_dir, f"seed_{seed}")
    tf.io.gfile.makedirs(seed_dir)
    for split, (extension, text) in predictions_text.items():
      fileio.write_atomic(
          os.path.join(seed_dir, f"{split}_predictions{extension}"), text)
    _report(settings, f"seed {seed}: " + " ".join(
        f"{split} {task.main_metric}="
        f"{run[split].get(task.main_metric, float('nan')):.4f}"
        for split in eval_splits))
    if settings.save_model and settings.do_train and len(folds) == 1:
      save_finetuned_model(model, os.path.join(seed_dir, "model"), task,
                           settings)
    runs[f"seed_{seed}"] = run
    results = _results(task, len(folds), settings, runs)
    fileio.write_json(os.path.join(settings.output_dir, RESULTS_FILE), results)
  return results
