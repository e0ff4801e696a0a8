"""One training process of tests/distributed/test_multi_worker.py.

  python -m tests.distributed.multi_worker_main --output_dir=DIR \
      --weights_out=W.npz [--kill_after_step=N] [--steps=4]

With TF_CONFIG set it trains under MultiWorkerMirroredStrategy (resolved by
biom_tf.training.strategy, as `run_pretraining --strategy=multi_worker` does);
without, under the default strategy on one CPU. Either way it trains the same
tiny BERT (no dropout, so every run is deterministic) with the real Trainer.

The input pipeline is biom_tf's own, on one file of 21 records (fewer files
than workers): all pipelines read one seeded stream and each takes every
n-th record, so at every step n workers together train on the global batch
one worker reads alone, which is what makes the weights comparable. The
resumed job restores its data position from the step alone
(`inputs.RecordOrder`). With --count_reads_at_step=N, the process then
builds the training input as a run resuming at step N would and prints how
many records it read to give the first batch.
"""
import json
import os
import signal
import sys

import numpy as np
from absl import app
from absl import flags

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from biom_tf.configs import ModelConfig
from biom_tf.training import pretrain
from biom_tf.training import strategy as strategy_lib

flags.DEFINE_string("output_dir", None, "Checkpoint folder of this process.")
flags.DEFINE_string("weights_out", None,
                    "Where to save the final weights (X.npz); the weights at "
                    "each checkpoint go to X-stepN.npz.")
flags.DEFINE_integer("steps", 4, "num_train_steps.")
flags.DEFINE_integer("global_batch", 8, "train_batch_size.")
flags.DEFINE_integer("count_reads_at_step", 0,
                     "After training: records read to give the first batch "
                     "of a run resuming at this step (0: skip).")
flags.DEFINE_integer("kill_after_step", 0,
                     "SIGKILL this process right after the checkpoint of "
                     "this step is written (0: never).")
FLAGS = flags.FLAGS

SEQ, PRED, VOCAB = 16, 4, 64
RECORDS = 21  # not a multiple of the batch: epochs end inside batches


def tiny_config() -> ModelConfig:
  return ModelConfig(family="bert", vocab_size=VOCAB, hidden_size=16,
                     num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=SEQ,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def write_records(path, records):
  """`records` BERT pretraining examples from a fixed seed."""
  import tensorflow as tf  # after the strategy: MWMS must come first
  rng = np.random.RandomState(0)

  def ints(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))

  with tf.io.TFRecordWriter(path) as writer:
    for _ in range(records):
      length = rng.randint(8, SEQ + 1)
      ids = np.zeros(SEQ, np.int64)
      ids[:length] = rng.randint(5, VOCAB, size=length)
      mask = (np.arange(SEQ) < length).astype(np.int64)
      segments = ((np.arange(SEQ) >= length // 2) & (mask > 0)).astype(np.int64)
      positions = np.sort(rng.choice(np.arange(1, length), PRED, replace=False))
      feature = {
          "input_ids": ints(ids), "input_mask": ints(mask),
          "segment_ids": ints(segments),
          "masked_lm_positions": ints(positions),
          "masked_lm_ids": ints(rng.randint(5, VOCAB, size=PRED)),
          "masked_lm_weights": tf.train.Feature(
              float_list=tf.train.FloatList(value=[1.0] * PRED)),
          "next_sentence_labels": ints([rng.randint(2)]),
      }
      writer.write(tf.train.Example(
          features=tf.train.Features(feature=feature)).SerializeToString())


def dump_weights(trainer, path):
  """Trainable weights and the step, to an .npz (renamed into place)."""
  weights = {f"{i}:{v.name}": v.numpy()
             for i, v in enumerate(trainer.model.trainable_variables)}
  weights["global_step"] = np.array(trainer.global_step)
  np.savez(path + ".tmp.npz", **weights)
  os.replace(path + ".tmp.npz", path)


def main(argv):
  del argv
  multi = bool(os.environ.get("TF_CONFIG"))
  strategy = strategy_lib.resolve_strategy(
      "multi_worker" if multi else "default")
  import tensorflow as tf
  task = json.loads(os.environ["TF_CONFIG"])["task"]["index"] if multi else 0
  tf.io.gfile.makedirs(FLAGS.output_dir)
  data = os.path.join(FLAGS.output_dir, "data.tfrecord")
  write_records(data, RECORDS)

  config = pretrain.PretrainingConfig(
      model_config=tiny_config(), output_dir=FLAGS.output_dir,
      input_file=data, max_seq_length=SEQ, max_predictions_per_seq=PRED,
      train_batch_size=FLAGS.global_batch, learning_rate=1e-2,
      num_train_steps=FLAGS.steps, num_warmup_steps=1,
      save_checkpoints_steps=2, iterations_per_loop=2, jit_compile=False)
  trainer = pretrain.Trainer(config, strategy)

  save = tf.train.CheckpointManager.save

  def save_and_dump(manager, *args, **kwargs):
    """Saves; dumps the weights beside --weights_out; dies if asked to."""
    path = save(manager, *args, **kwargs)
    step = trainer.global_step
    dump_weights(trainer, FLAGS.weights_out.replace(".npz", f"-step{step}.npz"))
    if step == FLAGS.kill_after_step:
      print(f"[worker {task}] killed after step {step}", flush=True)
      os.kill(os.getpid(), signal.SIGKILL)
    return path

  tf.train.CheckpointManager.save = save_and_dump

  trainer.train()
  dump_weights(trainer, FLAGS.weights_out)
  print(f"[worker {task}] done at step {trainer.global_step}", flush=True)
  if FLAGS.count_reads_at_step:
    from tests.training.read_counter import ReadCounter  # pylint: disable=g-import-not-at-top
    with ReadCounter() as counter:
      dataset = trainer._dataset(  # pylint: disable=protected-access
          data, FLAGS.global_batch, True,
          skip_steps=FLAGS.count_reads_at_step)
      next(iter(dataset))
      read = counter.count
    print(f"[worker {task}] records read to resume at step "
          f"{FLAGS.count_reads_at_step}: {read}", flush=True)


if __name__ == "__main__":
  flags.mark_flags_as_required(["output_dir", "weights_out"])
  app.run(main)
  sys.exit(0)
