"""`--init_checkpoint`: start (continued) pretraining from existing weights.

Three kinds of checkpoint are recognized:
  * a Hugging Face directory (config.json + pytorch_model.bin /
    model.safetensors / tf_model.h5): `biom_tf.checkpoints.huggingface`;
  * our own object-based checkpoint (from `run_pretraining`): the model's
    weights only, not the optimizer or the data position;
  * an original TF1 checkpoint (google-research/bert, albert, electra naming,
    e.g. BERT-Base for BlueBERT): `biom_tf.checkpoints.load_tf1_checkpoint`.
Encoder weights must all be there; pretraining heads are loaded where the
checkpoint has them and keep their initial values otherwise.
"""
import json
import os
from typing import Optional

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import checkpoints
from biom_tf import configs
from biom_tf.configs import ModelConfig

HF_WEIGHT_FILES = ("pytorch_model.bin", "model.safetensors", "tf_model.h5")
# Object-based checkpoints store their object graph under this key.
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def checkpoint_kind(path: str) -> str:
  """"huggingface", "object" (ours) or "tf1" for a path or directory."""
  if tf.io.gfile.isdir(path):
    names = set(tf.io.gfile.listdir(path))
    if "config.json" in names and names & set(HF_WEIGHT_FILES):
      return "huggingface"
  prefix = checkpoints.resolve_checkpoint_path(path)
  try:
    reader = tf.train.load_checkpoint(prefix)
  except (tf.errors.OpError, ValueError) as e:
    raise checkpoints.CheckpointError(
        f"{prefix}: cannot read checkpoint ({str(e).splitlines()[0]})") from None
  if reader.has_tensor(_OBJECT_GRAPH_KEY):
    return "object"
  return "tf1"


def checkpoint_config(path: str, family: str) -> Optional[ModelConfig]:
  """The model config that comes with checkpoint `path`, or None.

  A Hugging Face directory: its config.json; one of ours (biom layout): the
  config in its metadata file; otherwise the original config file
  (bert_config.json, albert_config.json, ...) in the checkpoint's directory.
  """
  from biom_tf import export  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import huggingface  # pylint: disable=g-import-not-at-top
  if checkpoint_kind(path) == "huggingface":
    return huggingface.read_hf_config(path, family)[0]
  directory = path if tf.io.gfile.isdir(path) else (os.path.dirname(path) or
                                                     ".")
  meta_path = os.path.join(directory, export.BIOM_META)
  if tf.io.gfile.exists(meta_path):
    with tf.io.gfile.GFile(meta_path) as f:
      meta = json.load(f)
    return ModelConfig.from_dict(meta.get("config", {}), family,
                                 source=meta_path)
  config_file = configs.find_config_file(directory)
  return ModelConfig.from_json_file(config_file, family) if config_file else None


def initialize_from_checkpoint(model, path: str, config: ModelConfig) -> str:
  """Loads `path` into the built pretraining `model`; returns a summary line."""
  kind = checkpoint_kind(path)
  if kind == "huggingface":
    try:
      from biom_tf.checkpoints import huggingface  # pylint: disable=g-import-not-at-top
      load_hf_checkpoint = huggingface.load_hf_checkpoint
    except (ImportError, AttributeError):
      raise checkpoints.CheckpointError(
          f"{path}: is a Hugging Face directory, but this installation has no "
          "biom_tf.checkpoints.huggingface.load_hf_checkpoint; convert it to a "
          "TF1 checkpoint first") from None
    load_hf_checkpoint(model, path, config)
    return f"initialized from Hugging Face directory {path}"
  prefix = checkpoints.resolve_checkpoint_path(path)
  if kind == "object":
    status = tf.train.Checkpoint(model=model).read(prefix)
    try:
      status.assert_existing_objects_matched()
    except AssertionError as e:
      raise checkpoints.CheckpointError(
          f"{prefix}: does not fit this {config.family} model "
          f"({str(e).splitlines()[0][:200]})") from None
    status.expect_partial()
    return f"initialized from checkpoint {prefix}"
  report = checkpoints.load_tf1_checkpoint(model, prefix, config,
                                           require_heads=False)
  line = (f"initialized from TF1 checkpoint {prefix}: {len(report.loaded)} "
          "tensors loaded")
  if report.skipped_heads:
    line += (f", {len(report.skipped_heads)} head tensors absent (kept "
             "their initial values)")
  return line

