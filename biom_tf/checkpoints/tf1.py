"""Read and write checkpoints in the original TF1 (name-based) format.

Both directions walk the family's name table (`tables.py`): reading looks up
each row's TF1 tensor, checks its shape, reads it through `integrity` (a
damaged file is one line), converts it to our layout and — only once every
row has passed — assigns all of them; writing converts our
variables to the TF1 layout and saves them under the TF1 names with
`SaveV2`, the op TF1's Saver used, into a temporary directory that is renamed
into place when complete. Optimizer slots (`adam_m`, `adam_v`, ...) and
`global_step` in a checkpoint are ignored.
"""
import dataclasses
import os
import re
import uuid
from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf

from biom_tf.checkpoints import integrity
from biom_tf.checkpoints import tables
from biom_tf.checkpoints.integrity import CheckpointError
from biom_tf.configs import ModelConfig

# Tensors of training state, not of the model.
_NOT_MODEL = re.compile(
    r"(^|/)(adam_m|adam_v|Adam|Adam_1|Momentum|LAMB|lamb_m|lamb_v|"
    r"AdamWeightDecayOptimizer|ExponentialMovingAverage)(_\d+)?$|"
    r"^global_step$|^good_steps$|^loss_scale$|^current_loss_scale$|"
    r"(^|/)temperature$")


@dataclasses.dataclass
class LoadReport:
  """What `load_tf1_checkpoint` did."""
  path: str
  loaded: List[str]           # TF1 names assigned
  skipped_heads: List[str]    # head tensors absent from the checkpoint
  unused: List[str]           # model-looking tensors the table does not name


def resolve_checkpoint_path(path: str) -> str:
  """A checkpoint prefix from a prefix, an `.index` file or a directory."""
  if path.endswith(".index"):
    path = path[:-len(".index")]
  if tf.io.gfile.exists(path + ".index"):
    return path
  if tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest:
      return latest
    indexes = sorted(tf.io.gfile.glob(os.path.join(path, "*.index")))
    if len(indexes) == 1:
      return indexes[0][:-len(".index")]
    if indexes:
      raise CheckpointError(
          f"{path}: several checkpoints ({', '.join(os.path.basename(i) for i in indexes)}); "
          "pass the prefix of one")
  raise CheckpointError(
      f"{path}: no TF1 checkpoint (expected PREFIX.index, or a directory "
      "holding one)")


def guess_family(names) -> Optional[str]:
  """The family whose naming a checkpoint's tensor names follow."""
  names = list(names)
  if any(n.startswith("bert/encoder/transformer/group_0") for n in names):
    return "albert"
  if any(n.startswith(("electra/", "generator/encoder")) for n in names):
    return "electra"
  if any(n.startswith("bert/encoder/layer_") for n in names):
    return "bert"
  return None


# ------------------------------------------------------------ shape rules
def tf1_shape(rule: str, ours: List[int]) -> List[int]:
  """The TF1 shape of a tensor whose shape is `ours` in our model."""
  ours = list(ours)
  if rule == tables.HEADS:          # [..., heads, size] → [..., heads*size]
    return ours[:-2] + [ours[-2] * ours[-1]]
  if rule == tables.HEADS_IN:       # [heads, size, hidden] → [heads*size, hidden]
    return [ours[0] * ours[1], ours[2]]
  if rule == tables.TRANSPOSE:
    return ours[::-1]
  return ours


def to_tf1(rule: str, value: np.ndarray) -> np.ndarray:
  """Our layout → TF1 layout."""
  if rule == tables.TRANSPOSE:
    return np.ascontiguousarray(value.T)
  return value.reshape(tf1_shape(rule, value.shape))


def from_tf1(rule: str, value: np.ndarray, ours_shape) -> np.ndarray:
  """TF1 layout → our layout (`ours_shape`)."""
  if rule == tables.TRANSPOSE:
    return np.ascontiguousarray(value.T)
  return value.reshape(ours_shape)


# --------------------------------------------------- model ↔ table binding
def _component(model, name: str):
  """The sub-network `name` of `model`; an encoder stands for itself."""
  sub = getattr(model, name, None)
  if sub is not None:
    return sub
  if name in ("encoder", "discriminator") and hasattr(model, "get_embedding_table"):
    return model
  return None


def _variable_index(component) -> Dict[str, tf.Variable]:
  return {v.name[:-2] if v.name.endswith(":0") else v.name: v
          for v in component.variables}


def bind(model, config: ModelConfig):
  """[(entry, variable)] for the table rows that exist in `model`.

  A row is skipped when its component is absent (a fine-tuning model has no
  pretraining heads) or its variable is (no embedding projection when the
  embedding width equals the hidden size). Raises if one of the model's
  variables has no row: the table would be incomplete.
  """
  bound, seen = [], set()
  indexes = {}
  for entry in tables.table_for(config):
    component = _component(model, entry.component)
    if component is None:
      continue
    index = indexes.setdefault(entry.component, _variable_index(component))
    matches = [v for n, v in index.items()
               if n == entry.ours or n.endswith("/" + entry.ours)]
    if len(matches) > 1:
      raise AssertionError(f"table row {entry.ours!r} matches "
                           f"{[m.name for m in matches]}")
    if matches:
      bound.append((entry, matches[0]))
      seen.add(matches[0].ref())
  for component_name in {e.component for e in tables.table_for(config)}:
    component = _component(model, component_name)
    for v in (component.variables if component is not None else []):
      # ELECTRA checkpoints have no pooler; Model Garden's encoder always
      # builds one, left untrained and unsaved.
      if v.ref() not in seen and not (config.family == "electra" and
                                      "pooler_transform" in v.name):
        raise AssertionError(f"{v.name} has no row in the {config.family} table")
  return bound


# ------------------------------------------------------------------ read
def load_tf1_checkpoint(model, path: str, config: ModelConfig,
                        require_heads: bool = True) -> LoadReport:
  """Loads an original TF1 checkpoint into `model` (built).

  `model` is a pretrainer from `biom_tf.models` or any model with the same
  components (an encoder alone, or a fine-tuning model with `.encoder`).
  With `require_heads=False` pretraining heads absent from the checkpoint
  keep their initial values (continued pretraining from an encoder-only
  release). Nothing is assigned unless every tensor is found with the
  right shape.
  """
  prefix = resolve_checkpoint_path(path)
  reader = integrity.open_reader(prefix)
  shapes = reader.get_variable_to_shape_map()
  found = guess_family(shapes)
  if found and found != config.family:
    raise CheckpointError(f"{prefix}: tensor names are those of a {found} "
                          f"checkpoint, not {config.family}")
  rows, missing, skipped = [], [], []
  for entry, variable in bind(model, config):
    if entry.tf1 not in shapes:
      (skipped if entry.is_head and not require_heads else missing).append(entry.tf1)
      continue
    ours = variable.shape.as_list()
    rows.append(integrity.Row(
        variable, entry.tf1, shapes[entry.tf1], tf1_shape(entry.rule, ours),
        lambda e=entry, s=ours: from_tf1(e.rule, reader.get_tensor(e.tf1), s)))
  # Every tensor is read (its checksum checked) before any is assigned.
  integrity.assign_checked(prefix, config.family, rows, missing)
  used = {row.name for row in rows}
  unused = sorted(n for n in shapes if n not in used and not _NOT_MODEL.search(n))
  return LoadReport(prefix, sorted(used), skipped, unused)


# ----------------------------------------------------------------- write
def write_checkpoint_file(directory: str, base: str):
  """The `checkpoint` file naming `base` (a prefix in `directory`) as the
  latest checkpoint, so that `tf.train.latest_checkpoint(directory)` finds
  it."""
  with tf.io.gfile.GFile(os.path.join(directory, "checkpoint"), "w") as f:
    f.write(f'model_checkpoint_path: "{base}"\n'
            f'all_model_checkpoint_paths: "{base}"\n')


def tf1_tensors(model, config: ModelConfig,
                include_heads: bool = True) -> Dict[str, np.ndarray]:
  """{TF1 name: value in TF1 layout} for every table row in `model`."""
  return {entry.tf1: to_tf1(entry.rule, variable.numpy())
          for entry, variable in bind(model, config)
          if include_heads or not entry.is_head}


def save_tf1_checkpoint(model, prefix: str, config: ModelConfig,
                        include_heads: bool = True,
                        global_step: Optional[int] = None) -> str:
  """Writes `model` as an original-format TF1 checkpoint at `prefix`.

  E.g. prefix `out/bert_model.ckpt` gives `out/bert_model.ckpt.index`,
  `out/bert_model.ckpt.data-00000-of-00001` and `out/checkpoint`. Files appear
  only when complete. Returns the prefix.
  """
  tensors = tf1_tensors(model, config, include_heads)
  if global_step is not None:
    tensors["global_step"] = np.asarray(global_step, np.int64)
  directory, base = os.path.split(prefix)
  directory = directory or "."
  tf.io.gfile.makedirs(directory)
  staging = os.path.join(directory, f".tmp-{base}-{uuid.uuid4().hex[:8]}")
  tf.io.gfile.makedirs(staging)
  try:
    names = sorted(tensors)
    tf.raw_ops.SaveV2(prefix=os.path.join(staging, base), tensor_names=names,
                      shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(tensors[n]) for n in names])
    write_checkpoint_file(staging, base)
    for name in tf.io.gfile.listdir(staging):
      tf.io.gfile.rename(os.path.join(staging, name),
                         os.path.join(directory, name), overwrite=True)
  finally:
    if tf.io.gfile.exists(staging):
      tf.io.gfile.rmtree(staging)
  return prefix
