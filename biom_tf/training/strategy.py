"""One place that picks the tf.distribute strategy and the numeric policy.

  tpu           TPUClusterResolver(tpu, zone, project) + TPUStrategy (a Cloud
                TPU VM or pod: `--tpu_name`, or "local" on the VM itself)
  mirrored      MirroredStrategy over the local GPUs (or the CPU if none)
  multi_worker  MultiWorkerMirroredStrategy; the cluster comes from TF_CONFIG
  cpu           OneDeviceStrategy on /cpu:0
  default       the default (no-op) strategy on whatever TF picks
"""
import json
import os
from typing import Optional

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf
import tf_keras

STRATEGIES = ("default", "tpu", "mirrored", "multi_worker", "cpu")
PRECISIONS = ("none", "auto", "bf16", "fp16")


class StrategyError(ValueError):
  """A strategy or batch setting that cannot work on this machine."""


def resolve_strategy(name: str = "default",
                     tpu_name: Optional[str] = None,
                     tpu_zone: Optional[str] = None,
                     gcp_project: Optional[str] = None,
                     devices=None) -> tf.distribute.Strategy:
  """The strategy for `name` (one of STRATEGIES).

  Args:
    name: strategy name.
    tpu_name, tpu_zone, gcp_project: the original TPU flags (tpu only).
    devices: mirrored only: explicit device names (tests use two logical
      CPUs); default all GPUs, or the CPU.
  """
  if name not in STRATEGIES:
    raise StrategyError(f"strategy={name!r}: expected one of {STRATEGIES}")
  if name == "tpu":
    try:
      resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
          tpu=tpu_name or "", zone=tpu_zone, project=gcp_project)
      tf.config.experimental_connect_to_cluster(resolver)
      tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as e:
      raise StrategyError(f"strategy=tpu: cannot reach TPU {tpu_name!r} "
                          f"(zone={tpu_zone!r}, project={gcp_project!r}): "
                          f"{str(e).splitlines()[0]}") from None
    return tf.distribute.TPUStrategy(resolver)
  if name == "mirrored":
    return tf.distribute.MirroredStrategy(devices=devices)
  if name == "multi_worker":
    config = os.environ.get("TF_CONFIG")
    if config:
      try:
        parsed = json.loads(config)
      except json.JSONDecodeError as e:
        raise StrategyError(f"TF_CONFIG is not valid JSON: {e}") from None
      if "cluster" not in parsed or "task" not in parsed:
        raise StrategyError("TF_CONFIG: expected keys 'cluster' and 'task' "
                            f"(got {sorted(parsed)})")
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "cpu":
    return tf.distribute.OneDeviceStrategy("/cpu:0")
  return tf.distribute.get_strategy()


def is_tpu(strategy: tf.distribute.Strategy) -> bool:
  return isinstance(strategy, (tf.distribute.TPUStrategy,
                               tf.distribute.experimental.TPUStrategy))


def has_gpu(strategy: tf.distribute.Strategy) -> bool:
  """Whether the strategy computes on GPUs."""
  try:
    devices = strategy.extended.worker_devices
  except (RuntimeError, AttributeError):  # the default strategy has none
    return bool(tf.config.list_logical_devices("GPU"))
  return any("GPU" in d.upper() for d in devices)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """Whether this process writes the run's shared files.

  The files are the config, TensorBoard summaries, `metrics.jsonl`,
  `eval_results.txt` and the checkpoints in `--output_dir`. Single-client
  strategies (default, one-device, mirrored, TPU) always do; under
  MultiWorkerMirroredStrategy only the chief does (TF_CONFIG's "chief" task,
  or worker 0 where the cluster has none).
  """
  return bool(strategy.extended.should_checkpoint)


def checkpoint_dir(output_dir: str, strategy: tf.distribute.Strategy) -> str:
  """Where this process's checkpoints go: output_dir for the chief.

  Every MultiWorkerMirrored worker must save (the save is a collective
  step), but two processes writing one checkpoint prefix corrupt it. The
  others write to `output_dir/worker-<task_id>` and resume from there, which
  also works where the workers' disks are not shared.
  """
  if is_chief(strategy):
    return output_dir
  resolver = strategy.cluster_resolver
  return os.path.join(output_dir, f"worker-{resolver.task_id}")


def per_replica_batch_size(global_batch_size: int,
                           strategy: tf.distribute.Strategy,
                           gradient_accumulation_steps: int = 1,
                           flag: str = "train_batch_size") -> int:
  """`global_batch_size` split over replicas (and accumulation micro-steps).

  The global batch is what one optimizer update sees, as in the originals'
  `--train_batch_size`; it must divide evenly.
  """
  replicas = strategy.num_replicas_in_sync
  parts = replicas * gradient_accumulation_steps
  if global_batch_size <= 0 or global_batch_size % parts:
    raise StrategyError(
        f"{flag}={global_batch_size} must be a positive multiple of "
        f"replicas ({replicas}) x gradient_accumulation_steps "
        f"({gradient_accumulation_steps}) = {parts}")
  return global_batch_size // replicas


def resolve_precision(precision: str, strategy: tf.distribute.Strategy) -> str:
  """`--mixed_precision` -> "none", "bf16" or "fp16" for this hardware.

  "auto" gives bf16 on TPU, fp16 (with dynamic loss scaling) on GPU and none
  on CPU, where neither is faster.
  """
  if precision not in PRECISIONS:
    raise StrategyError(f"mixed_precision={precision!r}: expected one of "
                        f"{PRECISIONS}")
  if precision == "auto":
    if is_tpu(strategy):
      return "bf16"
    return "fp16" if has_gpu(strategy) else "none"
  return precision


def set_precision_policy(precision: str):
  """Sets the global Keras policy: mixed_bfloat16 / mixed_float16 / float32.

  Call before building the model; variables stay float32 in all three.
  """
  policy = {"none": "float32", "bf16": "mixed_bfloat16",
            "fp16": "mixed_float16"}[precision]
  tf_keras.mixed_precision.set_global_policy(policy)
  return policy
