"""Pretraining throughput: biom_tf vs Model Garden vs transformers (torch).

  python -m benchmarks.pretrain [--steps=30] [--output=pretrain.json]

Same small BERT (default L=4, H=256, A=4, I=1024, the uncased 30,522-token
vocabulary), same global batch and sequence length (32 x 128, 20 masked
positions), same real PubMed records, AdamW with weight decay 0.01 and
clipping at 1.0, dropout 0.1, float32, on this machine's CPU:

  biom_tf       biom_tf.training.pretrain.Trainer with its defaults for a
                CPU (no XLA; all timed steps in one host call)
  biom_tf_xla   the same with jit_compile=True (for information)
  model_garden  official.nlp.tasks.masked_lm.MaskedLMTask + BertPretrainerV2
                trained by official.core.base_trainer.Trainer (orbit), with
                Model Garden's own input pipeline and optimizer factory
  transformers  transformers.BertForPreTraining (torch), torch.optim.AdamW,
                batches read from the same records beforehand

Each framework runs in its own process (no shared TensorFlow state), does
`--warmup_steps` untimed steps (tracing, compilation), then waits; the timed
rounds then interleave the frameworks (`--repeats` rounds of `--steps` steps
each), so that other load on a shared machine hits all of them alike.
Reported: sequences per second of each framework's best round and of its
median round, and CPU seconds per step (all threads).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("BIOM_SHARED_DIR", os.path.join(REPO_ROOT, "..", "shared"))
FRAMEWORKS = ("biom_tf", "biom_tf_xla", "model_garden", "transformers")
OTHERS = ("model_garden", "transformers")

FLAGS = flags.FLAGS
flags.DEFINE_enum("framework", None, list(FRAMEWORKS),
                  "Serve one framework in this process (internal).")
flags.DEFINE_list("frameworks", list(FRAMEWORKS),
                  "Frameworks to compare, each in its own process (GPU "
                  "runs: biom_tf).")
flags.DEFINE_string("corpus", os.path.join(SHARED, "data", "corpus",
                                           "pubmed_ncbi_disease.txt"),
                    "Text to build the records from.")
flags.DEFINE_string("vocab_file", os.path.join(SHARED, "vocab",
                                               "bert-base-uncased", "vocab.txt"),
                    "WordPiece vocabulary (sets the model's vocab size).")
flags.DEFINE_string("work_dir", None, "Where the records go (default: a "
                    "temporary directory).")
flags.DEFINE_integer("num_layers", 4, "Encoder layers.")
flags.DEFINE_integer("hidden_size", 256, "Hidden size.")
flags.DEFINE_integer("num_heads", 4, "Attention heads.")
flags.DEFINE_integer("intermediate_size", 1024, "Feed-forward width.")
flags.DEFINE_integer("batch_size", 32, "Global batch.")
flags.DEFINE_integer("seq_length", 128, "Sequence length.")
flags.DEFINE_integer("max_predictions", 20, "Masked positions per sequence.")
flags.DEFINE_integer("warmup_steps", 5, "Untimed steps first.")
flags.DEFINE_integer("steps", 10, "Timed steps per repeat.")
flags.DEFINE_integer("repeats", 5, "Timed rounds (interleaved).")
flags.DEFINE_string("output", None, "Write the results as JSON here.")
flags.DEFINE_enum("mixed_precision", "none", ["none", "bf16", "fp16"],
                  "Precision of every framework: float32, or float32 "
                  "variables with bf16 / fp16 compute (Keras' mixed policy "
                  "for biom_tf and Model Garden, torch.autocast for "
                  "transformers; GPU runs: bf16).")
flags.DEFINE_float("peak_tflops", None, "The device's peak TFLOP/s at the "
                   "precision used (e.g. 989 for an H100 SXM in bf16); "
                   "given, model-FLOPs utilisation is reported.")


def model_flops_per_step() -> float:
  """Training FLOPs of one step: 3 x forward (backward = 2 x forward).

  Forward multiply-adds per sequence: L x S x (4 H^2 + 2 H I) in the dense
  layers, L x 2 S^2 H in attention (QK^T and AV), P x (H^2 + H V) in the
  masked-LM head (transform + tied output); 2 FLOPs per multiply-add.
  """
  h, l, i = FLAGS.hidden_size, FLAGS.num_layers, FLAGS.intermediate_size
  s, p, v = FLAGS.seq_length, FLAGS.max_predictions, _vocab_size()
  macs = l * s * (4 * h * h + 2 * h * i) + l * 2 * s * s * h + p * (h * h + h * v)
  return 3 * 2 * macs * FLAGS.batch_size


def _records(work_dir):
  """Real PubMed BERT records (NSP + masks), built once."""
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  path = os.path.join(work_dir, f"pubmed_s{FLAGS.seq_length}.tfrecord")
  if not os.path.exists(path):
    pipeline.create_pretraining_data(
        FLAGS.corpus, path, vocab_file=FLAGS.vocab_file, progress=None,
        options=pipeline.DataOptions(
            model_family="bert", max_seq_length=FLAGS.seq_length,
            max_predictions_per_seq=FLAGS.max_predictions, dupe_factor=2))
  return path


def _vocab_size():
  with open(FLAGS.vocab_file, encoding="utf-8") as f:
    return sum(1 for _ in f)


# ------------------------------------------------------------------ biom_tf
def bench_biom_tf(records, work_dir, jit_compile=None):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from biom_tf.configs import ModelConfig  # pylint: disable=g-import-not-at-top
  from biom_tf.training import pretrain  # pylint: disable=g-import-not-at-top
  config = pretrain.PretrainingConfig(
      model_config=ModelConfig(
          family="bert", vocab_size=_vocab_size(),
          hidden_size=FLAGS.hidden_size, num_hidden_layers=FLAGS.num_layers,
          num_attention_heads=FLAGS.num_heads,
          intermediate_size=FLAGS.intermediate_size,
          max_position_embeddings=512),
      output_dir=os.path.join(work_dir, "biom_tf"), input_file=records,
      max_seq_length=FLAGS.seq_length,
      max_predictions_per_seq=FLAGS.max_predictions,
      train_batch_size=FLAGS.batch_size, learning_rate=1e-4,
      num_train_steps=10000, num_warmup_steps=0, jit_compile=jit_compile,
      mixed_precision=FLAGS.mixed_precision)
  trainer = pretrain.Trainer(config)
  iterator = iter(trainer._dataset(records, FLAGS.batch_size, True))  # pylint: disable=protected-access
  loop = trainer._train_loop_fn  # pylint: disable=protected-access

  def run(steps):
    sums = {k: v.numpy() for k, v in loop(iterator, tf.constant(steps)).items()}
    return float(sums["mlm_loss_sum"] / sums["mlm_weight"])
  return run


# ------------------------------------------------------------- Model Garden
def _pkg_resources_shim():
  """official.nlp.tasks imports tensorflow_hub, which imports
  `pkg_resources.parse_version`; setuptools >= 81 no longer ships
  pkg_resources. Provide that one function from `packaging`."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  import types  # pylint: disable=g-import-not-at-top
  if importlib.util.find_spec("pkg_resources") is None:
    from packaging import version  # pylint: disable=g-import-not-at-top
    module = types.ModuleType("pkg_resources")
    module.parse_version = version.parse
    sys.modules["pkg_resources"] = module


def bench_model_garden(records, work_dir):
  _pkg_resources_shim()
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from official.core import base_trainer  # pylint: disable=g-import-not-at-top
  from official.core import config_definitions as cfg  # pylint: disable=g-import-not-at-top
  from official.nlp.configs import bert  # pylint: disable=g-import-not-at-top
  from official.nlp.configs import encoders  # pylint: disable=g-import-not-at-top
  from official.nlp.data import pretrain_dataloader  # pylint: disable=g-import-not-at-top
  from official.nlp.tasks import masked_lm  # pylint: disable=g-import-not-at-top
  del work_dir
  task_config = masked_lm.MaskedLMConfig(
      model=bert.PretrainerConfig(
          encoder=encoders.EncoderConfig(
              type="bert",
              bert=encoders.BertEncoderConfig(
                  vocab_size=_vocab_size(), hidden_size=FLAGS.hidden_size,
                  num_layers=FLAGS.num_layers,
                  num_attention_heads=FLAGS.num_heads,
                  intermediate_size=FLAGS.intermediate_size,
                  max_position_embeddings=512)),
          cls_heads=[bert.ClsHeadConfig(inner_dim=FLAGS.hidden_size,
                                        num_classes=2, name="next_sentence")]),
      train_data=pretrain_dataloader.BertPretrainDataConfig(
          input_path=records, global_batch_size=FLAGS.batch_size,
          seq_length=FLAGS.seq_length,
          max_predictions_per_seq=FLAGS.max_predictions,
          use_next_sentence_label=True, is_training=True))
  config = cfg.ExperimentConfig(
      task=task_config,
      trainer=cfg.TrainerConfig(
          train_steps=10000,
          optimizer_config=cfg.OptimizationConfig({
              "optimizer": {"type": "adamw", "adamw": {
                  "weight_decay_rate": 0.01, "global_clipnorm": 1.0,
                  "exclude_from_weight_decay": ["LayerNorm", "layer_norm",
                                                "bias"]}},
              "learning_rate": {"type": "constant",
                                "constant": {"learning_rate": 1e-4}}})))
  if FLAGS.mixed_precision != "none":
    # What Model Garden's train driver does for runtime.mixed_precision_dtype.
    import tf_keras  # pylint: disable=g-import-not-at-top
    tf_keras.mixed_precision.set_global_policy(
        {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}[
            FLAGS.mixed_precision])
  task = masked_lm.MaskedLMTask(task_config)
  trainer = base_trainer.Trainer(
      config, task, model=task.build_model(),
      optimizer=task.create_optimizer(config.trainer.optimizer_config,
                                      config.runtime),
      train=True, evaluate=False)

  def run(steps):
    logs = trainer.train(tf.convert_to_tensor(steps, tf.int32))
    return float(logs["lm_example_loss"])  # reading it waits for the steps
  return run


# ------------------------------------------------------------- transformers
def bench_transformers(records, work_dir):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  import transformers  # pylint: disable=g-import-not-at-top
  from biom_tf.training import inputs  # pylint: disable=g-import-not-at-top
  del work_dir
  torch.manual_seed(0)
  dataset = inputs.pretraining_dataset(
      records, "bert", FLAGS.seq_length, FLAGS.max_predictions,
      FLAGS.batch_size, is_training=True, seed=1)
  batches = []
  for batch in dataset.take(50):
    b = {k: v.numpy() for k, v in batch.items()}
    labels = np.full(b["input_word_ids"].shape, -100, np.int64)
    rows = np.arange(labels.shape[0])[:, None]
    keep = b["masked_lm_weights"] > 0
    labels[rows.repeat(keep.shape[1], 1)[keep], b["masked_lm_positions"][keep]] = (
        b["masked_lm_ids"][keep])
    batches.append(dict(
        input_ids=torch.from_numpy(b["input_word_ids"].astype(np.int64)),
        attention_mask=torch.from_numpy(b["input_mask"].astype(np.int64)),
        token_type_ids=torch.from_numpy(b["input_type_ids"].astype(np.int64)),
        labels=torch.from_numpy(labels),
        next_sentence_label=torch.from_numpy(
            b["next_sentence_labels"].reshape(-1).astype(np.int64))))
  del tf
  model = transformers.BertForPreTraining(transformers.BertConfig(
      vocab_size=_vocab_size(), hidden_size=FLAGS.hidden_size,
      num_hidden_layers=FLAGS.num_layers,
      num_attention_heads=FLAGS.num_heads,
      intermediate_size=FLAGS.intermediate_size, hidden_act="gelu_new",
      max_position_embeddings=512))
  model.train()
  decay = [p for n, p in model.named_parameters()
           if not any(x in n for x in ("LayerNorm", "bias"))]
  no_decay = [p for n, p in model.named_parameters()
              if any(x in n for x in ("LayerNorm", "bias"))]
  optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=1e-4, eps=1e-6)

  autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(
      FLAGS.mixed_precision)

  def step(batch):
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=autocast_dtype,
                        enabled=autocast_dtype is not None):
      loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss

  position = [0]

  def run(steps):
    for _ in range(steps):
      loss = step(batches[position[0] % len(batches)])
      position[0] += 1
    return float(loss)
  return run


def bench_biom_tf_xla(records, work_dir):
  return bench_biom_tf(records, work_dir, jit_compile=True)


BENCHES = {"biom_tf": bench_biom_tf, "biom_tf_xla": bench_biom_tf_xla,
           "model_garden": bench_model_garden,
           "transformers": bench_transformers}


def _serve(framework, records, work_dir):
  """Worker process: build and warm up, then time --steps steps per request.

  Protocol on stdin/stdout: prints READY; each "RUN" line is answered with
  "TIME <wall s/step> <cpu s/step> <loss>"; "EXIT" ends.
  """
  run = BENCHES[framework](records, work_dir)
  run(FLAGS.warmup_steps)
  print("READY", flush=True)
  for line in sys.stdin:
    if line.strip() != "RUN":
      break
    wall, cpu = time.perf_counter(), time.process_time()
    loss = run(FLAGS.steps)
    print(f"TIME {(time.perf_counter() - wall) / FLAGS.steps} "
          f"{(time.process_time() - cpu) / FLAGS.steps} {loss}", flush=True)


def _read_line(proc, prefix, framework):
  for line in proc.stdout:
    if line.startswith(prefix):
      return line.split()[1:]
  raise SystemExit(f"{framework} worker failed:\n{proc.stderr.read()[-3000:]}")


def main(argv):
  del argv
  work_dir = FLAGS.work_dir or tempfile.mkdtemp(prefix="biom-bench-")
  os.makedirs(work_dir, exist_ok=True)
  records = _records(work_dir)
  if FLAGS.framework:
    _serve(FLAGS.framework, records, work_dir)
    return
  # One warm worker process per framework, started one after the other (so
  # compilation does not overlap); then timed rounds interleave them, so a
  # busy moment of the machine hits every framework alike. Idle workers wait
  # on stdin and use no CPU.
  passthrough = [a for a in sys.argv[1:]
                 if not a.startswith(("--output", "--frameworks"))]
  chosen = [f for f in FRAMEWORKS if f in FLAGS.frameworks]
  workers = {}
  for framework in chosen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.pretrain", f"--framework={framework}",
         f"--work_dir={work_dir}", *passthrough],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    _read_line(proc, "READY", framework)
    workers[framework] = proc
    print(f"{framework}: ready", flush=True)
  times = {f: [] for f in chosen}
  for round_ in range(FLAGS.repeats):
    for framework, proc in workers.items():
      proc.stdin.write("RUN\n")
      proc.stdin.flush()
      wall, cpu, loss = map(float, _read_line(proc, "TIME", framework))
      times[framework].append((wall, cpu, loss))
      print(f"round {round_ + 1}: {framework:15s} {wall:.3f} s/step "
            f"(CPU {cpu:.3f} s/step)", flush=True)
  for proc in workers.values():
    proc.stdin.write("EXIT\n")
    proc.stdin.close()
    proc.wait()
  results = []
  for framework in chosen:
    walls = sorted(t[0] for t in times[framework])
    results.append(dict(
        framework=framework, steps=FLAGS.steps, repeats=FLAGS.repeats,
        seconds_per_step_best=walls[0],
        seconds_per_step_median=walls[len(walls) // 2],
        cpu_seconds_per_step=min(t[1] for t in times[framework]),
        sequences_per_second=FLAGS.batch_size / walls[0],
        sequences_per_second_median=FLAGS.batch_size / walls[len(walls) // 2],
        model_tflops_per_second=model_flops_per_step() / walls[0] / 1e12,
        last_loss=times[framework][-1][2]))
    if FLAGS.peak_tflops:
      results[-1]["mfu"] = results[-1]["model_tflops_per_second"] / FLAGS.peak_tflops
    r = results[-1]
    print(f"{framework:15s} {r['sequences_per_second']:7.2f} seq/s best, "
          f"{r['sequences_per_second_median']:7.2f} median, "
          f"{r['model_tflops_per_second'] * 1e3:.1f} model GFLOP/s"
          + (f", MFU {r['mfu']:.1%}" if "mfu" in r else "")
          + f" (CPU {r['cpu_seconds_per_step']:.3f} s/step, loss "
          f"{r['last_loss']:.3f})", flush=True)
  ours = results[0]["sequences_per_second"]
  others = [r for r in results if r["framework"] in OTHERS]
  fastest_other = max([r["sequences_per_second"] for r in others] or [ours])
  for r in results[1:]:
    print(f"biom_tf / {r['framework']}: "
          f"{ours / r['sequences_per_second']:.2f}x (best), "
          f"{results[0]['sequences_per_second_median'] / r['sequences_per_second_median']:.2f}x (median)")
  summary = dict(
      config=dict(num_layers=FLAGS.num_layers, hidden_size=FLAGS.hidden_size,
                  num_heads=FLAGS.num_heads,
                  intermediate_size=FLAGS.intermediate_size,
                  vocab_size=_vocab_size(), batch_size=FLAGS.batch_size,
                  seq_length=FLAGS.seq_length,
                  max_predictions=FLAGS.max_predictions),
      cpu_count=os.cpu_count(), results=results,
      ratio_vs_fastest_other=ours / fastest_other)
  if FLAGS.output:
    with open(FLAGS.output + ".tmp", "w") as f:
      json.dump(summary, f, indent=2)
    os.replace(FLAGS.output + ".tmp", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
