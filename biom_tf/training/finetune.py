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

This file holds the training step and loop, prediction and the driver; the
rest of the job lives beside it, and the names other modules use are
importable from here too:

  finetune_settings.py     FinetuneSettings, FinetuneError, resolve_tokenizer
  finetune_results.py      eval_results.json: earlier seeds, mean and std
  finetune_batches.py      shuffled training batches padded per batch
  finetune_checkpoints.py  init_checkpoint read in, the fine-tuned model saved
  models/heads.py          per head: layer, loss, loss weights, batch spec
"""
import math
import os
import time
from typing import Any, Dict, List

from absl import logging
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import tensorflow as tf
import tf_keras

from biom_tf import fileio
from biom_tf.models import heads
from biom_tf import tasks as tasks_lib
from biom_tf.tokenization import build_tokenizer
from biom_tf.training import finetune_results
from biom_tf.training import optimizers
from biom_tf.training import strategy as strategy_lib
# Used here, and by the tools, BLURB and the benchmarks as `finetune.<name>`.
from biom_tf.training.finetune_batches import num_train_steps
from biom_tf.training.finetune_batches import round_up
from biom_tf.training.finetune_batches import steps_per_epoch
from biom_tf.training.finetune_batches import training_batches
from biom_tf.training.finetune_checkpoints import initialize_encoder
from biom_tf.training.finetune_checkpoints import initialize_finetuned_model
from biom_tf.training.finetune_checkpoints import save_finetuned_model
from biom_tf.training.finetune_results import RESULTS_FILE
from biom_tf.training.finetune_settings import FinetuneError
from biom_tf.training.finetune_settings import FinetuneSettings
from biom_tf.training.finetune_settings import resolve_tokenizer


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
      loss = model.spec.weighted_loss(logits, batch["labels"],
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
  num_steps = num_train_steps(len(encoded), settings.train_batch_size,
                              settings.num_train_epochs)
  with strategy.scope():
    optimizer = create_optimizer(settings, num_steps)
  dataset = tf.data.Dataset.from_generator(
      lambda: training_batches(encoded, settings.train_batch_size, num_steps,
                               seed, head, settings.pad_to_multiple_of),
      output_signature=model.spec.batch_spec()).prefetch(2)
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
    model._predict_fn = tf.function(  # pylint: disable=protected-access
        lambda inputs: model(inputs, training=False),
        input_signature=[heads.input_spec()], autograph=False)
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
    width = round_up(int(lengths[rows].max()), pad_to_multiple_of)
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
  earlier_runs = finetune_results.previous_runs(settings)
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
  results = finetune_results.results(task, len(folds), settings, runs)
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
    results = finetune_results.results(task, len(folds), settings, runs)
    fileio.write_json(os.path.join(settings.output_dir, RESULTS_FILE), results)
  return results
