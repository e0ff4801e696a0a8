"""NCBI-disease NER: biom_tf against transformers (torch), same checkpoint.

  .venv/bin/python -m benchmarks.finetune \
      --data_dir=../shared/data/ncbi-disease \
      --vocab_file=../shared/vocab/bert-base-uncased/vocab.txt \
      --seeds=1,2,3 --output_dir=/tmp/bench_finetune \
      [--init_checkpoint=CHECKPOINT]   # e.g. a run of tools.run_pretraining

One run, on the CPU:
  1. per seed, a BERT model with a token-classification head is built by
     biom_tf (the head initialized from the seed), its encoder loaded from
     `--init_checkpoint` (any checkpoint `finetune.initialize_encoder`
     reads, e.g. one pretrained by `tools.run_pretraining`; without it the
     encoder is random, from the seed), and exported with
     `biom_tf.checkpoints.huggingface.save_hf_model`; the torch run loads
     that directory into transformers' `BertForTokenClassification`, so both
     start from the same weights (the initial logits are compared and
     reported);
  2. both train on the same encoded rows, in the same batches and order
     (`finetune.training_batches`), with the same optimizer (the original
     BERT AdamW: no bias correction, decoupled weight decay 0.01 except
     LayerNorm and biases, global-norm clipping 1.0), schedule (linear warmup
     then linear decay), dropout rate, epochs and seed; dropout masks come
     from each framework's own generator;
  3. both predict the test split the same way and are scored by the same
     conlleval-style entity F1.

Reported: test entity P/R/F1 of both per seed, the paired per-seed F1
differences (mean, sample std, standard error), the training-step rate of
both measured interleaved on the same batches (median step time), end-to-end
training and prediction examples/s.
"""
import collections
import dataclasses
import json
import os
import time

# torch's OpenMP threads busy-wait at every parallel region; on a CPU shared
# with other processes that makes each op wait a scheduler slice (we measured
# a tiny BERT step 10x slower with 2 threads). Passive waiting is torch's
# fastest setting here; it must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from absl import app
from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import tensorflow as tf
import tf_keras

from benchmarks import finetune_seeds
from biom_tf.checkpoints import detect
from biom_tf.checkpoints import huggingface
from biom_tf.configs import ModelConfig
from biom_tf.models import heads
from biom_tf import recipes
from biom_tf.tasks import get_task
from biom_tf.tokenization import WordpieceTokenizer
from biom_tf.training import finetune
from biom_tf.training import finetune_batches
from biom_tf.training import strategy as strategy_lib

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", "../shared/data/ncbi-disease", "NER data.")
flags.DEFINE_string("vocab_file", "../shared/vocab/bert-base-uncased/vocab.txt",
                    "WordPiece vocabulary (uncased).")
flags.DEFINE_string("output_dir", "/tmp/bench_finetune", "Scratch + results.")
flags.DEFINE_string("init_checkpoint", None, "Encoder weights for both "
                    "frameworks (TF1, Hugging Face or biom_tf checkpoint); "
                    "default: a random encoder per seed.")
flags.DEFINE_string("bert_config_file", None, "The checkpoint's "
                    "bert_config.json (default: the config that comes with "
                    "--init_checkpoint); without a checkpoint the model is "
                    "built from --hidden_size, --num_layers and --num_heads.")
flags.DEFINE_integer("hidden_size", 128, "Model width.")
flags.DEFINE_integer("num_layers", 2, "Encoder layers.")
flags.DEFINE_integer("num_heads", 2, "Attention heads.")
flags.DEFINE_integer("max_seq_length", 128, "Tokens per window.")
flags.DEFINE_integer("train_batch_size", 32, "Training batch.")
flags.DEFINE_integer("eval_batch_size", 64, "Prediction batch.")
flags.DEFINE_float("learning_rate", 5e-4, "Peak learning rate.")
flags.DEFINE_float("num_train_epochs", 3.0, "Epochs.")
flags.DEFINE_float("warmup_proportion", 0.1, "Warmup fraction.")
flags.DEFINE_float("weight_decay_rate", 0.01, "AdamW weight decay.")
flags.DEFINE_list("seeds", ["1"], "Seeds (weights, batch order, dropout); "
                  "each trains both frameworks.")
flags.DEFINE_float("dropout", 0.1, "Hidden, attention and head dropout (0: "
                   "both runs are deterministic functions of the same "
                   "weights and batches, a check of the implementations).")
flags.DEFINE_integer("max_train_sentences", 0, "Train on the first N "
                     "sentences (0: all).")
flags.DEFINE_integer("torch_threads", 0, "torch.set_num_threads (0: its "
                     "default).")
flags.DEFINE_integer("timing_batches", 30, "Batches of the interleaved "
                     "step timing.")
flags.DEFINE_bool("timing_only", False, "Only the interleaved step timing "
                  "(no training runs, no F1).")
flags.DEFINE_bool("jit_compile", False, "biom_tf: compile the training step "
                  "with XLA.")
flags.DEFINE_integer("pad_to_multiple_of", 16, "Batch length rounding (both "
                     "frameworks get the same padded batches).")


# --------------------------------------------------------------- torch side
def bert_adamw_step(torch, params, lr, weight_decay_rate, state,
                    beta_1=0.9, beta_2=0.999, epsilon=1e-6):
  """One update of the original BERT AdamW (what biom_tf's optimizer does)."""
  with torch.no_grad():
    for name, p in params:
      if p.grad is None:
        continue
      m, v = state.setdefault(name, (torch.zeros_like(p), torch.zeros_like(p)))
      m.mul_(beta_1).add_(p.grad, alpha=1 - beta_1)
      v.mul_(beta_2).addcmul_(p.grad, p.grad, value=1 - beta_2)
      update = m / (v.sqrt() + epsilon)
      if weight_decay_rate and not ("LayerNorm" in name or "bias" in name):
        update += weight_decay_rate * p
      p.sub_(lr * update)


def learning_rate(step, peak, num_steps, warmup_steps):
  """The schedule of `optimizers.learning_rate_schedule` (power 1, end 0)."""
  if warmup_steps and step < warmup_steps:
    return peak * step / warmup_steps
  return peak * (1.0 - min(step, num_steps) / num_steps)


def torch_inputs(torch, batch):
  return dict(input_ids=torch.from_numpy(batch["input_word_ids"]).long(),
              attention_mask=torch.from_numpy(batch["input_mask"]).long(),
              token_type_ids=torch.from_numpy(batch["input_type_ids"]).long())


def torch_step_fn(torch, model, num_steps, settings):
  """step(batch, index) → loss: the same update finetune.train makes."""
  params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
  state = {}
  warmup = int(num_steps * settings.warmup_proportion)
  loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)

  def step(batch, index):
    labels = torch.from_numpy(np.where(batch["labels"] < 0, -100,
                                       batch["labels"])).long()
    logits = model(**torch_inputs(torch, batch)).logits
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    model.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
    bert_adamw_step(torch, params, learning_rate(index, settings.learning_rate,
                                                 num_steps, warmup),
                    settings.weight_decay_rate, state)
    return float(loss.detach())
  return step


def train_torch(torch, model, encoded, num_steps, settings):
  step = torch_step_fn(torch, model, num_steps, settings)
  model.train()
  step_seconds = []
  start = time.time()
  batches = finetune.training_batches(encoded, settings.train_batch_size,
                                      num_steps, settings.seeds[0], "token",
                                      settings.pad_to_multiple_of)
  for index, batch in enumerate(batches):
    step_start = time.time()
    loss = step(batch, index)
    step_seconds.append(time.time() - step_start)
  return {"train_seconds": time.time() - start,
          "median_step_seconds": float(np.median(step_seconds[1:])),
          "final_loss": loss}


def paired_timing(torch, transformers, hf_dir, config, num_labels, encoded,
                  settings, num_batches, thread_options):
  """Per-batch training-step times of both, interleaved on the same batches.

  The CPU is shared with other work whose load changes by the minute, so the
  two are timed side by side: for each batch, biom_tf's step and torch's
  step for each thread count, in alternating order; the medians compare
  like with like. Throwaway models: the benchmark's models stay untouched.
  """
  runners = {}
  variants = [("biom_tf", False)]
  if settings.jit_compile:
    variants.append(("biom_tf_xla", True))
  for name, jit_compile in variants:
    model = heads.build_finetuning_model(config, "token", num_labels,
                                         settings.head_dropout)
    step = tf.function(
        finetune.make_step_fn(model, finetune.create_optimizer(settings, 1000)),
        autograph=False, jit_compile=jit_compile)
    runners[name] = lambda b, i, step=step: float(step(b))
  torch_model = transformers.BertForTokenClassification.from_pretrained(hf_dir)
  torch_model.train()
  torch_step = torch_step_fn(torch, torch_model, 1000, settings)
  # Batches of the most common padded shape: one XLA compilation, warmed up.
  batches = list(finetune.training_batches(
      encoded, settings.train_batch_size,
      finetune.steps_per_epoch(len(encoded), settings.train_batch_size),
      12345, "token", settings.pad_to_multiple_of))
  shapes = collections.Counter(b["input_word_ids"].shape for b in batches)
  modal = shapes.most_common(1)[0][0]
  batches = [b for b in batches if b["input_word_ids"].shape == modal]
  batches = batches[:num_batches + 1]
  for threads in thread_options:
    def run(b, i, threads=threads):
      torch.set_num_threads(threads)
      return torch_step(b, i)
    runners[f"torch_{threads}_threads"] = run
  for name, fn in runners.items():  # warm up: trace, allocate
    fn(batches[0], 0)
  seconds = {name: [] for name in runners}
  cpu_seconds = {name: [] for name in runners}
  for i, batch in enumerate(batches[1:]):
    names = list(runners) if i % 2 == 0 else list(runners)[::-1]
    for name in names:
      start, cpu_start = time.time(), time.process_time()
      runners[name](batch, i)
      seconds[name].append(time.time() - start)
      cpu_seconds[name].append(time.process_time() - cpu_start)
  rows = float(np.mean([len(b["labels"]) for b in batches[1:]]))
  # CPU seconds (all threads of this process) per step depend less on the
  # other jobs than wall time does; both are reported.
  timing = {name: {"median_step_seconds": float(np.median(s)),
                   "examples_per_second": rows / float(np.median(s)),
                   "median_step_cpu_seconds":
                       float(np.median(cpu_seconds[name]))}
            for name, s in seconds.items()}
  timing["batch_shape"] = list(modal)
  timing["num_batches"] = len(batches) - 1
  return timing


def predict_torch(torch, model, encoded, batch_size, pad_to_multiple_of):
  model.eval()
  lengths = encoded.lengths()
  order = np.argsort(lengths, kind="stable")
  outputs = [None] * len(encoded)
  with torch.no_grad():
    for start in range(0, len(order), batch_size):
      rows = order[start:start + batch_size]
      width = finetune_batches.round_up(int(lengths[rows].max()),
                                        pad_to_multiple_of)
      batch = encoded.batch(rows, with_labels=False, length=width)
      logits = model(**torch_inputs(torch, batch)).logits.numpy()
      for b, row in enumerate(rows):
        outputs[row] = logits[b, :lengths[row]]
  return outputs


# -------------------------------------------------------------------- main
def model_config(tokenizer) -> ModelConfig:
  """The checkpoint's config (or one from the size flags), with --dropout."""
  if FLAGS.bert_config_file:
    config = ModelConfig.from_json_file(FLAGS.bert_config_file, "bert")
  elif FLAGS.init_checkpoint:
    config = detect.checkpoint_config(FLAGS.init_checkpoint, "bert")
    if config is None:
      raise app.UsageError(f"--init_checkpoint={FLAGS.init_checkpoint}: no "
                           "config beside it; give --bert_config_file")
  else:
    config = ModelConfig(
        family="bert", vocab_size=tokenizer.vocab_size,
        hidden_size=FLAGS.hidden_size, num_hidden_layers=FLAGS.num_layers,
        num_attention_heads=FLAGS.num_heads,
        intermediate_size=4 * FLAGS.hidden_size, max_position_embeddings=512)
  return dataclasses.replace(config, hidden_dropout_prob=FLAGS.dropout,
                             attention_probs_dropout_prob=FLAGS.dropout)


def paired_differences(f1):
  """biom_tf minus torch test F1 per seed (points): values, mean, sample
  std and standard error of the mean (std and error 0 for one seed)."""
  diffs = [a - b for a, b in zip(f1["biom_tf"], f1["torch"])]
  mean, std, error = finetune_seeds.mean_std_error(diffs)
  return {"per_seed": diffs, "mean": mean, "std": std,
          "standard_error": error}


def timed(fn, *args):
  start = time.time()
  value = fn(*args)
  return value, time.time() - start


def build_pair(torch, transformers, config, num_labels, tokenizer, seed,
               directory):
  """The biom_tf model for `seed`, and transformers' copy of it."""
  tf_keras.utils.set_random_seed(seed)
  model = heads.build_finetuning_model(config, "token", num_labels,
                                       dropout_rate=FLAGS.dropout)
  if FLAGS.init_checkpoint:
    print(finetune.initialize_encoder(model.encoder, FLAGS.init_checkpoint,
                                      config), flush=True)
  os.makedirs(directory, exist_ok=True)
  huggingface.save_hf_model(model, directory, config,
                            labels=[str(i) for i in range(num_labels)],
                            pad_token_id=tokenizer.pad_id)
  torch.manual_seed(seed)
  torch_model = transformers.BertForTokenClassification.from_pretrained(
      directory)
  return model, torch_model


def run_both(torch, task, splits, train, test, model, torch_model, settings,
             num_steps, seed):
  """Trains and scores both models on `seed`'s batches; one dict each."""
  settings = dataclasses.replace(settings, seeds=(seed,))
  out = {}
  stats = finetune.train(model, train, settings, seed,
                         strategy_lib.resolve_strategy("default"))
  outputs, seconds = timed(finetune.predict, model, test,
                           FLAGS.eval_batch_size, settings.pad_to_multiple_of)
  out["biom_tf"] = dict(stats, predict_seconds=seconds)
  out["biom_tf"]["scores"] = task.evaluate(splits["test"], test, outputs)[0]
  torch.manual_seed(seed)
  stats = train_torch(torch, torch_model, train, num_steps, settings)
  outputs, seconds = timed(predict_torch, torch, torch_model, test,
                           FLAGS.eval_batch_size, settings.pad_to_multiple_of)
  out["torch"] = dict(stats, predict_seconds=seconds)
  out["torch"]["scores"] = task.evaluate(splits["test"], test, outputs)[0]
  for name, run in out.items():
    scores = run.pop("scores")
    run.update(test_precision=scores["precision"],
               test_recall=scores["recall"], test_f1=scores["f1"],
               predict_examples_per_second=len(test) / run["predict_seconds"])
    print(f"seed {seed} {name}", json.dumps(run), flush=True)
  return out


def main(argv):
  del argv
  import torch  # pylint: disable=import-outside-toplevel
  import transformers  # pylint: disable=import-outside-toplevel
  if FLAGS.torch_threads:
    torch.set_num_threads(FLAGS.torch_threads)
  seeds = [int(s) for s in FLAGS.seeds]
  load_before = os.getloadavg()
  os.makedirs(FLAGS.output_dir, exist_ok=True)
  tokenizer = WordpieceTokenizer(FLAGS.vocab_file, do_lower_case=True)
  config = model_config(tokenizer)
  # The flags named as settings fields, --dropout as head_dropout; the
  # encoder of --init_checkpoint is loaded here, for both frameworks.
  settings = recipes.settings_from(
      finetune.FinetuneSettings, FLAGS.flag_values_dict(),
      renamed={"head_dropout": "dropout"}, task="ner", config=config,
      seeds=tuple(seeds), init_checkpoint=None, log_every=0)
  task = get_task("ner")
  splits = task.read(FLAGS.data_dir)
  if FLAGS.max_train_sentences:
    splits["train"] = splits["train"][:FLAGS.max_train_sentences]
  train = task.encode(splits["train"], tokenizer, FLAGS.max_seq_length, True)
  test = task.encode(splits["test"], tokenizer, FLAGS.max_seq_length, False)
  num_steps = finetune_batches.num_train_steps(
      len(train), FLAGS.train_batch_size, FLAGS.num_train_epochs)
  num_labels = len(task.labels)

  # The first seed's checkpoint: both frameworks must compute the same logits.
  hf_dir = os.path.join(FLAGS.output_dir, f"hf_checkpoint_seed_{seeds[0]}")
  model, torch_model = build_pair(torch, transformers, config, num_labels,
                                  tokenizer, seeds[0], hf_dir)
  probe = test.batch(range(8), with_labels=False)
  tf_logits = model(probe, training=False).numpy()
  torch_model.eval()
  with torch.no_grad():
    torch_logits = torch_model(**torch_inputs(torch, probe)).logits.numpy()
  mask = probe["input_mask"].astype(bool)
  initial_diff = float(np.abs(tf_logits - torch_logits)[mask].max())

  timing = paired_timing(torch, transformers, hf_dir, config, num_labels,
                         train, settings, FLAGS.timing_batches,
                         sorted({torch.get_num_threads(), 1}))
  best_torch = min((k for k in timing if k.startswith("torch")),
                   key=lambda k: timing[k]["median_step_seconds"])
  torch.set_num_threads(int(best_torch.split("_")[1]))
  print("paired timing", json.dumps(timing), flush=True)
  ours_key = "biom_tf_xla" if FLAGS.jit_compile else "biom_tf"
  ratio = (timing[best_torch]["median_step_seconds"]
           / timing[ours_key]["median_step_seconds"])
  cpu_ratio = (timing[best_torch]["median_step_cpu_seconds"]
               / timing[ours_key]["median_step_cpu_seconds"])
  if FLAGS.timing_only:
    print(f"| {config.hidden_size}/{config.num_hidden_layers} | timing only | "
          f"{timing[ours_key]['examples_per_second']:.1f} | "
          f"{timing[best_torch]['examples_per_second']:.1f} "
          f"({best_torch.replace('_', ' ')}) | {ratio:.2f}x "
          f"(CPU s/step: {cpu_ratio:.2f}x) |")
    return

  runs = {}
  for seed in seeds:
    if seed != seeds[0]:
      model, torch_model = build_pair(
          torch, transformers, config, num_labels, tokenizer, seed,
          os.path.join(FLAGS.output_dir, f"hf_checkpoint_seed_{seed}"))
    runs[seed] = run_both(torch, task, splits, train, test, model,
                          torch_model, settings, num_steps, seed)
  f1 = {name: [100 * runs[s][name]["test_f1"] for s in seeds]
        for name in ("biom_tf", "torch")}
  differences = paired_differences(f1)
  results = {
      "data": {"train_sentences": len(splits["train"]),
               "train_rows": len(train), "test_sentences": len(splits["test"]),
               "test_rows": len(test)},
      "init_checkpoint": FLAGS.init_checkpoint,
      "model": config.to_original_dict(),
      "settings": {k: getattr(settings, k) for k in (
          "max_seq_length", "train_batch_size", "learning_rate",
          "num_train_epochs", "warmup_proportion", "weight_decay_rate",
          "head_dropout", "pad_to_multiple_of", "jit_compile")},
      "steps": num_steps, "seeds": seeds,
      "initial_logits_max_abs_diff": initial_diff,
      "threads": {"torch": torch.get_num_threads(),
                  "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                  "cpu_count": os.cpu_count()},
      "paired_timing": timing, "torch_threads_used": best_torch,
      "train_speed_ratio": ratio, "train_cpu_ratio": cpu_ratio,
      "runs": {str(s): r for s, r in runs.items()},
      # std: sample standard deviation over seeds (ddof=1).
      "test_f1_points": {name: {"per_seed": v, "mean": float(np.mean(v)),
                                "std": float(np.std(v, ddof=1))
                                       if len(v) > 1 else 0.0}
                         for name, v in f1.items()},
      "f1_difference_points": differences,
      "end_to_end_train_seconds": {
          name: float(np.mean([runs[s][name]["train_seconds"] for s in seeds]))
          for name in ("biom_tf", "torch")},
      "load_average_before": load_before,
      "load_average_after": os.getloadavg()}
  path = os.path.join(FLAGS.output_dir, "finetune_benchmark.json")
  with open(path + ".tmp", "w") as f:
    json.dump(results, f, indent=2, default=float)
  os.replace(path + ".tmp", path)
  for i, seed in enumerate(seeds):
    print(f"| seed {seed} | {f1['biom_tf'][i]:.2f} | {f1['torch'][i]:.2f} | "
          f"{differences['per_seed'][i]:+.2f} |")
  scores = results["test_f1_points"]
  print(f"| {config.hidden_size}/{config.num_hidden_layers} | {num_steps} | "
        f"{FLAGS.dropout} | {len(seeds)} | "
        f"{scores['biom_tf']['mean']:.2f} ± {scores['biom_tf']['std']:.2f} | "
        f"{scores['torch']['mean']:.2f} ± {scores['torch']['std']:.2f} | "
        f"{differences['mean']:+.2f} ± {differences['std']:.2f} "
        f"(s.e. {differences['standard_error']:.2f}) | "
        f"{timing[ours_key]['examples_per_second']:.1f} | "
        f"{timing[best_torch]['examples_per_second']:.1f} "
        f"({best_torch.replace('_', ' ')}) | {ratio:.2f}x "
        f"(CPU s/step: {cpu_ratio:.2f}x) |")
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
