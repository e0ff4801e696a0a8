r"""Resume benchmark: time to the first training step after a restart, by step.

A restart at step S must put the input pipeline where the uninterrupted run
was. biom_tf does it from the step alone (`inputs.RecordOrder`: a seeded
order of files and records, so the position is a group of files plus
offsets in them); the method it replaced read and discarded every record of
the S steps. Measured, each in this one process:

  input    seconds to the first batch of `inputs.pretraining_dataset` with
           skip_batches=S (biom_tf), and of the same order read from 0 with
           S batches discarded (the replaced method; only up to
           --max_discard_steps, it grows linearly)
  trainer  seconds from `Trainer.train()` to the end of the first step of a
           run resumed from a checkpoint at step S (tiny BERT; the
           checkpoint's step counter is set to S), and of a fresh run (S=0);
           this includes tracing the step, which does not depend on S

Records: --num_files synthetic BERT files of --records_per_file records
(sequence 128, 20 predictions), written once to --work_dir, with a manifest
as the datagen writes one (record counts known), and the same files without
one (counted once, the counts cached, as the trainer does on its first
resume).

  python -m benchmarks.resume --work_dir=/tmp/resume_bench
"""
import json
import os
import time

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("work_dir", "/tmp/biom_resume_bench", "Scratch folder.")
flags.DEFINE_integer("num_files", 16, "Record files.")
flags.DEFINE_integer("records_per_file", 4000, "Records per file.")
flags.DEFINE_integer("batch_size", 32, "Global batch.")
flags.DEFINE_list("steps", ["0", "1000", "10000", "100000", "10000000"],
                  "Steps to resume at.")
flags.DEFINE_integer("max_discard_steps", 10000, "Largest step the replaced "
                     "read-and-discard method is timed at.")
flags.DEFINE_integer("repeats", 3, "Timings per input measurement (median).")

SEQ, PRED, VOCAB = 128, 20, 1000


def write_records(directory):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  os.makedirs(directory, exist_ok=True)
  rng = np.random.RandomState(0)

  def ints(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

  for i in range(FLAGS.num_files):
    path = os.path.join(directory, f"data-{i:05d}")
    if os.path.exists(path):
      continue
    with tf.io.TFRecordWriter(path + ".tmp") as writer:
      for _ in range(FLAGS.records_per_file):
        feature = dict(
            input_ids=ints(rng.randint(5, VOCAB, SEQ).tolist()),
            input_mask=ints([1] * SEQ), segment_ids=ints([0] * SEQ),
            masked_lm_positions=ints(list(range(1, PRED + 1))),
            masked_lm_ids=ints(rng.randint(5, VOCAB, PRED).tolist()),
            masked_lm_weights=tf.train.Feature(
                float_list=tf.train.FloatList(value=[1.0] * PRED)),
            next_sentence_labels=ints([0]))
        writer.write(tf.train.Example(features=tf.train.Features(
            feature=feature)).SerializeToString())
    os.replace(path + ".tmp", path)
  # The same files without a manifest (links), and with one as the datagen
  # writes it (the fields the trainer reads: outputs, bytes, records).
  bare = directory + "-no-manifest"
  os.makedirs(bare, exist_ok=True)
  outputs = []
  for i in range(FLAGS.num_files):
    path = os.path.join(directory, f"data-{i:05d}")
    outputs.append(path)
    if not os.path.exists(os.path.join(bare, os.path.basename(path))):
      os.symlink(path, os.path.join(bare, os.path.basename(path)))
  manifest = {"format": "biom_tf.pretraining_data.v1",
              "config": {"outputs": outputs, "compression": ""},
              "complete": True,
              "shards": [{"path": p, "complete": True,
                          "bytes": os.path.getsize(p),
                          "records": FLAGS.records_per_file}
                         for p in outputs]}
  with open(os.path.join(directory, "data.manifest.json"), "w") as f:
    json.dump(manifest, f)
  return os.path.join(directory, "data-*"), os.path.join(bare, "data-*")


def _median(values):
  values = sorted(values)
  return values[len(values) // 2]


def time_input(pattern, step, discard, counts_cache=None):
  """Seconds to the first batch at `step`: biom_tf's seek, or discarding."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from biom_tf import features  # pylint: disable=g-import-not-at-top
  from biom_tf.training import inputs  # pylint: disable=g-import-not-at-top
  shards = inputs.list_shards(pattern, verbose=False)
  times = []
  for _ in range(FLAGS.repeats):
    shards = inputs.list_shards(pattern, verbose=False)  # manifest again
    start = time.perf_counter()
    if discard:  # as the replaced code: batches skipped before parsing
      order = inputs.RecordOrder(shards, 1, 8, 100)
      spec = features.pretraining_feature_spec("bert", SEQ, PRED)
      dataset = order.dataset(0).batch(
          FLAGS.batch_size, drop_remainder=True).skip(step).map(
              lambda s: tf.io.parse_example(s, spec))
    else:
      dataset = inputs.pretraining_dataset(
          shards, "bert", SEQ, PRED, FLAGS.batch_size, True, seed=1,
          skip_batches=step, counts_cache=counts_cache)
    next(iter(dataset))
    times.append(time.perf_counter() - start)
  return _median(times)


def time_trainer(pattern, step):
  """Seconds from Trainer.train() to the end of step+1, resumed at step."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from biom_tf.configs import ModelConfig  # pylint: disable=g-import-not-at-top
  from biom_tf.training import pretrain  # pylint: disable=g-import-not-at-top
  out = os.path.join(FLAGS.work_dir, f"run-{step}")
  if tf.io.gfile.exists(out):
    tf.io.gfile.rmtree(out)

  def config():
    return pretrain.PretrainingConfig(
        model_config=ModelConfig(
            family="bert", vocab_size=VOCAB, hidden_size=64,
            num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
            max_position_embeddings=SEQ),
        output_dir=out, input_file=pattern, max_seq_length=SEQ,
        max_predictions_per_seq=PRED, train_batch_size=FLAGS.batch_size,
        num_train_steps=step + 1, num_warmup_steps=0,
        save_checkpoints_steps=10 ** 9, iterations_per_loop=1,
        jit_compile=False)

  if step:
    trainer = pretrain.Trainer(config())
    trainer.restore_or_initialize()
    trainer.optimizer.iterations.assign(step)
    tf.io.gfile.makedirs(out)
    trainer.manager.save(checkpoint_number=step)
  trainer = pretrain.Trainer(config())
  start = time.perf_counter()
  trainer.train()
  assert trainer.global_step == step + 1
  return time.perf_counter() - start


def main(argv):
  del argv
  import biom_tf  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  from biom_tf.training import inputs  # pylint: disable=g-import-not-at-top
  pattern, bare = write_records(os.path.join(FLAGS.work_dir, "records"))
  records = FLAGS.num_files * FLAGS.records_per_file
  cache = os.path.join(FLAGS.work_dir, "input_records.json")
  if os.path.exists(cache):
    os.remove(cache)
  start = time.perf_counter()
  inputs.RecordOrder(inputs.list_shards(bare, verbose=False), 1, 8, 100,
                     cache).epoch_records()
  print(f"{FLAGS.num_files} files x {FLAGS.records_per_file} records "
        f"(epoch {records:,}), batch {FLAGS.batch_size}; counting the "
        f"records of the files without a manifest, once: "
        f"{time.perf_counter() - start:.2f} s")
  print("| resume at step | records already read | first batch (s): biom_tf,"
        " manifest | biom_tf, no manifest (counts cached) | read and discard "
        "| first step (s): biom_tf, manifest |")
  print("| ---: | ---: | ---: | ---: | ---: | ---: |")
  for step in (int(s) for s in FLAGS.steps):
    seek = time_input(pattern, step, discard=False)
    cached = time_input(bare, step, discard=False, counts_cache=cache)
    discard = (f"{time_input(pattern, step, discard=True):.2f}"
               if step <= FLAGS.max_discard_steps else "not run")
    first_step = time_trainer(pattern, step)
    print(f"| {step:,} | {step * FLAGS.batch_size:,} | {seek:.2f} | "
          f"{cached:.2f} | {discard} | {first_step:.2f} |", flush=True)


if __name__ == "__main__":
  app.run(main)
