"""Which format a checkpoint is in, its config, and restoring it into a model.

Three kinds of checkpoint are recognized:
  * a Hugging Face directory (config.json + pytorch_model.bin /
    model.safetensors / tf_model.h5): `biom_tf.checkpoints.huggingface`;
  * our own object-based checkpoint (from `run_pretraining`, or the biom
    layout): the model's weights only, not the optimizer or the data position;
  * an original TF1 checkpoint (google-research/bert, albert, electra naming,
    e.g. BERT-Base for BlueBERT): `biom_tf.checkpoints.load_tf1_checkpoint`.
`restore` loads any of them into a pretrainer (`--init_checkpoint` of
pretraining) or into an encoder alone (fine-tuning). Encoder weights must all
be there; pretraining heads are loaded where the checkpoint has them and keep
their initial values otherwise. Checkpoints are read through
`biom_tf.checkpoints.integrity`: a truncated or bit-flipped file is
`PATH: damaged checkpoint (...)`, never a traceback.
"""
import os
from typing import Optional

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import configs
from biom_tf.checkpoints import huggingface
from biom_tf.checkpoints import integrity
from biom_tf.checkpoints import layout
from biom_tf.checkpoints import tf1
from biom_tf.checkpoints.integrity import CheckpointError
from biom_tf.checkpoints.layout import BIOM_META
from biom_tf.configs import ModelConfig

HF_WEIGHT_FILES = ("pytorch_model.bin", "model.safetensors", "tf_model.h5")
# Object-based checkpoints store their object graph under this key.
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def checkpoint_kind(path: str) -> str:
  """"huggingface", "object" (ours) or "tf1" for a path or directory."""
  if tf.io.gfile.isdir(path):
    names = set(tf.io.gfile.listdir(path))
    if huggingface.CONFIG_NAME in names and names & set(HF_WEIGHT_FILES):
      return "huggingface"
  prefix = tf1.resolve_checkpoint_path(path)
  reader = integrity.open_reader(prefix)
  if reader.has_tensor(_OBJECT_GRAPH_KEY):
    return "object"
  return "tf1"


def checkpoint_config(path: str, family: str) -> Optional[ModelConfig]:
  """The model config that comes with checkpoint `path`, or None.

  A Hugging Face directory: its config.json; one of ours (biom layout): the
  config in its metadata file; otherwise the original config file
  (bert_config.json, albert_config.json, ...) in the checkpoint's directory.
  """
  if checkpoint_kind(path) == "huggingface":
    return huggingface.read_hf_config(path, family)[0]
  directory = layout.checkpoint_directory(path)
  meta = layout.read_biom_meta(directory)
  if meta is not None:
    return ModelConfig.from_dict(meta.get("config", {}), family,
                                 source=os.path.join(directory, BIOM_META))
  config_file = configs.find_config_file(directory)
  if not config_file:
    return None
  return ModelConfig.from_json_file(config_file, family)


def restore_object(model, prefix: str, family: str, encoder_only: bool = False,
                   misfit: Optional[str] = None) -> str:
  """Our object checkpoint `prefix` into a pretrainer, or into an encoder alone.

  Ours (a pretrainer from run_pretraining, a biom export, a model fine-tuned
  here) hold the model under `model`, its encoder under `model/encoder`
  (ELECTRA pretrainer: `model/discriminator`); an encoder reads only those
  variables. A checkpoint that does not fit is one `CheckpointError` line,
  `PREFIX: MISFIT (WHAT)`; `misfit` defaults to `does not fit this FAMILY
  model` (`... encoder`). Returns a one-line summary.
  """
  # Restoring would fail halfway with a traceback on damaged bytes: read
  # every tensor checked first (TF1 checkpoints are read checked by
  # `load_tf1_checkpoint`).
  integrity.check_readable(prefix)
  if not encoder_only:
    _read_root(model, prefix, misfit or f"does not fit this {family} model")
    return f"initialized from checkpoint {prefix}"
  misfit = misfit or f"does not fit this {family} encoder"
  for attribute in ("encoder", "discriminator"):
    if _read_root(tf.train.Checkpoint(**{attribute: model}), prefix, misfit,
                  absent_ok=True):
      return (f"initialized encoder from checkpoint {prefix} "
              f"(model/{attribute})")
  raise CheckpointError(
      f"{prefix}: no model/encoder or model/discriminator that fits this "
      f"{family} encoder")


def _read_root(root, prefix: str, misfit: str, absent_ok: bool = False
               ) -> bool:
  """Restores `model=root` from object checkpoint `prefix`; True when done.

  A tensor that does not fit (or, unless `absent_ok`, an object that is not
  in the checkpoint) is `CheckpointError` `PREFIX: MISFIT (WHAT)`; with
  `absent_ok`, an object not in the checkpoint returns False.
  """
  try:
    status = tf.train.Checkpoint(model=root).read(prefix)
    status.assert_existing_objects_matched()
  except AssertionError as e:  # objects not in the checkpoint
    if absent_ok:
      return False
    raise CheckpointError(
        f"{prefix}: {misfit} ({integrity.short_line(e)})") from None
  except (ValueError, tf.errors.OpError) as e:  # ValueError: a shape differs
    raise CheckpointError(
        f"{prefix}: {misfit} ({integrity.short_line(e)})") from None
  status.expect_partial()  # a run's optimizer slots, iterator, step
  return True


def restore_finetuned(model, path: str, config: ModelConfig) -> str:
  """A fine-tuned model (`heads.FineTuningModel`: encoder and head) from one
  of ours (`seed_N/model`, a biom export) or a Hugging Face *For...
  directory, for scoring without training. Returns a one-line summary.
  """
  kind = checkpoint_kind(path)
  if kind == "huggingface":
    huggingface.load_hf_model(model, path, config, require_heads=True)
    return f"loaded fine-tuned model from Hugging Face directory {path}"
  if kind == "tf1":
    raise CheckpointError(f"{path}: an original TF1 checkpoint; without "
                          "do_train, init_checkpoint must be a fine-tuned "
                          "model (ours, or a Hugging Face directory)")
  prefix = tf1.resolve_checkpoint_path(path)
  restore_object(model, prefix, config.family,
                 misfit=f"not a fine-tuned {config.family} model with this "
                        f"task's {model.head} head")
  return f"loaded fine-tuned model from checkpoint {prefix}"


def restore(model, path: str, config: ModelConfig,
            encoder_only: bool = False) -> str:
  """Loads checkpoint `path` (any kind) into the built `model`.

  `model` is a pretrainer (`encoder_only=False`) or an encoder network
  (`encoder_only=True`). Returns a one-line summary.
  """
  kind = checkpoint_kind(path)
  what = "encoder " if encoder_only else ""
  if kind == "huggingface":
    unused = huggingface.load_hf_checkpoint(model, path, config)
    line = f"initialized {what}from Hugging Face directory {path}"
    return line + (f" ({len(unused)} tensors not used)" if encoder_only
                   else "")
  prefix = tf1.resolve_checkpoint_path(path)
  if kind == "object":
    return restore_object(model, prefix, config.family, encoder_only)
  report = tf1.load_tf1_checkpoint(model, prefix, config, require_heads=False)
  if encoder_only:
    return (f"initialized encoder from TF1 checkpoint {report.path}: "
            f"{len(report.loaded)} tensors")
  line = (f"initialized from TF1 checkpoint {prefix}: {len(report.loaded)} "
          "tensors loaded")
  if report.skipped_heads:
    line += (f", {len(report.skipped_heads)} head tensors absent (kept "
             "their initial values)")
  return line
