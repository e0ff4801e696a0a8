"""Read and write Hugging Face (transformers) model directories.

A directory holds `config.json` and `model.safetensors` (never a pickle
file); every file is read and written through `tf.io.gfile`, so directories
on gs:// (or ram://) work as local ones (safetensors from bytes). The state-dict keys come from the same name table as the TF1 reader
and writer (`tables.py`, `Entry.hf`): an HF tensor is the TF1-layout tensor,
transposed when the TF1 name ends in `kernel` and it is 2-D (torch Linear
keeps [out, in]), the rule transformers' own `load_tf_weights_in_*` applies.

What transformers expects beyond the table:
  * tied weights: the MLM decoder (`cls.predictions.decoder.*` for BERT,
    `predictions.decoder.*` for ALBERT, `generator_lm_head.weight` for the
    ELECTRA generator) is the word-embedding table and the output bias; they
    are written as copies so that `from_pretrained` finds every key;
  * ELECTRA is two models: the discriminator (`ElectraForPreTraining`, in the
    directory itself) and the generator (`ElectraForMaskedLM`, in
    `generator/`), each with a copy of the shared embedding block. Note that
    transformers' generator head hard-codes the exact (erf) GELU while the
    original (and biom_tf) applies the config's activation, the tanh GELU:
    the HF generator's logits differ from ours by ~1e-3 unless
    `model.generator_predictions.activation` is set to `gelu_new`.
  * `hidden_act`: each GELU is kept exactly, both ways. The originals' "gelu"
    (ours too) is the tanh approximation, which HF calls "gelu_new"; HF's
    "gelu" is the exact erf form, ours "gelu_exact" (`HF_ACTIVATIONS`).
    `layer_norm_eps` is 1e-12, as in the originals.
  * fine-tuned models (`biom_tf.models.heads.FineTuningModel`) map to
    `*ForTokenClassification`, `*ForSequenceClassification` and
    `*ForQuestionAnswering`; BERT/ALBERT token and span models have no pooler
    in transformers, so ours is not written.
"""
import os
import types
from typing import Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from biom_tf import fileio
from biom_tf.checkpoints import integrity
from biom_tf.checkpoints import tables
from biom_tf.checkpoints import tf1
from biom_tf.checkpoints.tf1 import CheckpointError
from biom_tf.configs import ModelConfig
from biom_tf.models import heads

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
GENERATOR_DIR = "generator"
PICKLE_NAMES = ("pytorch_model.bin", "tf_model.h5", "model.ckpt.index",
                "flax_model.msgpack")
_MODEL_TYPES = {"bert": "bert", "albert": "albert", "electra": "electra"}
_PRETRAINING_ARCH = {"bert": "BertForPreTraining",
                     "albert": "AlbertForPreTraining",
                     "electra": "ElectraForPreTraining"}
# transformers' ACT2FN name → our `hidden_act` (configs.ACTIVATIONS).
HF_ACTIVATIONS = {"gelu": "gelu_exact", "gelu_python": "gelu_exact",
                  "gelu_new": "gelu", "gelu_pytorch_tanh": "gelu",
                  "relu": "relu", "tanh": "tanh", "linear": "linear"}
# Ours → transformers' name.
_TO_HF_ACTIVATION = {"gelu": "gelu_new", "gelu_new": "gelu_new",
                     "gelu_exact": "gelu", "relu": "relu", "tanh": "tanh",
                     "linear": "linear"}


# ------------------------------------------------------------------ config
def hf_config_dict(config: ModelConfig, architecture: str,
                   pad_token_id: int = 0) -> Dict[str, object]:
  """The transformers `config.json` of `config` (one network)."""
  act = _TO_HF_ACTIVATION[config.hidden_act]
  out = dict(architectures=[architecture],
             model_type=_MODEL_TYPES[config.family],
             vocab_size=config.vocab_size, hidden_size=config.hidden_size,
             num_hidden_layers=config.num_hidden_layers,
             num_attention_heads=config.num_attention_heads,
             intermediate_size=config.intermediate_size, hidden_act=act,
             hidden_dropout_prob=config.hidden_dropout_prob,
             attention_probs_dropout_prob=config.attention_probs_dropout_prob,
             max_position_embeddings=config.max_position_embeddings,
             type_vocab_size=config.type_vocab_size,
             initializer_range=config.initializer_range,
             layer_norm_eps=1e-12, pad_token_id=pad_token_id,
             torch_dtype="float32")
  if config.family == "albert":
    out.update(embedding_size=config.embedding_width,
               num_hidden_groups=config.num_hidden_groups,
               inner_group_num=config.inner_group_num,
               classifier_dropout_prob=config.hidden_dropout_prob)
  elif config.family == "electra":
    out.update(embedding_size=config.embedding_width)
  return out


def config_from_hf_dict(values: Dict[str, object], family: str, source: str,
                        generator: Optional[Dict[str, object]] = None
                        ) -> ModelConfig:
  """`config.json` (and the generator's, for ELECTRA) → ModelConfig.

  HF "gelu" (erf) becomes "gelu_exact", HF "gelu_new" (tanh) the originals'
  "gelu" (`HF_ACTIVATIONS`); both are written back as read.
  """
  model_type = values.get("model_type")
  if model_type != _MODEL_TYPES[family]:
    raise CheckpointError(f"{source}: model_type={model_type!r} is not a "
                          f"{family!r} model (expected {_MODEL_TYPES[family]!r})")
  keys = ("vocab_size", "hidden_size", "num_hidden_layers",
          "num_attention_heads", "intermediate_size", "hidden_dropout_prob",
          "attention_probs_dropout_prob", "max_position_embeddings",
          "type_vocab_size", "initializer_range")
  missing = [k for k in keys if k not in values]
  if missing:
    raise CheckpointError(f"{source}: missing key(s) {missing}")
  kwargs = {k: values[k] for k in keys}
  act = values.get("hidden_act", "gelu")
  if act not in HF_ACTIVATIONS:
    raise CheckpointError(f"{source}: hidden_act={act!r}: expected one of "
                          f"{sorted(HF_ACTIVATIONS)}")
  kwargs["hidden_act"] = HF_ACTIVATIONS[act]
  eps = values.get("layer_norm_eps", 1e-12)
  if not isinstance(eps, (int, float)) or abs(eps - 1e-12) > 1e-15:
    raise CheckpointError(f"{source}: layer_norm_eps={eps!r}: only 1e-12 "
                          "(the originals' LayerNorm epsilon) is supported")
  position = values.get("position_embedding_type", "absolute")
  if position != "absolute":
    raise CheckpointError(f"{source}: position_embedding_type={position!r}: "
                          "only 'absolute' is supported")
  if family in ("albert", "electra"):
    kwargs["embedding_size"] = values.get("embedding_size", 128)
  if family == "albert":
    kwargs["num_hidden_groups"] = values.get("num_hidden_groups", 1)
    kwargs["inner_group_num"] = values.get("inner_group_num", 1)
  if family == "electra" and generator is not None:
    kwargs["generator_hidden_size"] = generator["hidden_size"] / values["hidden_size"]
    kwargs["generator_layers"] = (generator["num_hidden_layers"] /
                                  values["num_hidden_layers"])
  try:
    config = ModelConfig(family=family, **kwargs)
  except ValueError as e:
    raise CheckpointError(f"{source}: {e}") from None
  if family == "electra" and generator is not None:
    derived = config.generator_config()
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size"):
      if generator.get(key) != getattr(derived, key):
        raise CheckpointError(
            f"{source}: generator {key}={generator.get(key)} but the ELECTRA "
            f"recipe derives {getattr(derived, key)} from the discriminator")
  return config


# ----------------------------------------------------------------- binding
def _head_name(model) -> Optional[str]:
  return getattr(model, "head", None) if hasattr(model, "head_layer") else None


def _bind(model, config: ModelConfig) -> List[Tuple[tables.Entry, tf.Variable]]:
  """[(row, variable)] of a pretrainer or a fine-tuning model, head included."""
  head = _head_name(model)
  if head is None:
    return tf1.bind(model, config)
  # A fine-tuning model: its encoder stands for the table's encoder component
  # (the discriminator for ELECTRA); then the head's own rows.
  encoder_only = types.SimpleNamespace(encoder=model.encoder,
                                       discriminator=model.encoder)
  bound = [(e, v) for e, v in tf1.bind(encoder_only, config)
           if model.spec.uses_pooler or "pooler" not in e.hf]
  layer = model.head_layer
  index = {v.name[:-2]: v for v in layer.variables}
  for entry in tables.head_table(config, model.spec):
    matches = [v for n, v in index.items()
               if n == entry.ours or n.endswith("/" + entry.ours)]
    if len(matches) != 1:
      raise AssertionError(f"head row {entry.ours!r} matches "
                           f"{[m.name for m in matches]}")
    bound.append((entry, matches[0]))
  return bound


def _to_hf(entry: tables.Entry, value: np.ndarray) -> np.ndarray:
  value = tf1.to_tf1(entry.rule, value)
  if entry.tf1.endswith("kernel") and value.ndim == 2:
    value = value.T
  return np.ascontiguousarray(value)


def _from_hf(entry: tables.Entry, value: np.ndarray, shape) -> np.ndarray:
  if entry.tf1.endswith("kernel") and value.ndim == 2:
    value = value.T
  return tf1.from_tf1(entry.rule, np.ascontiguousarray(value), shape)


def _tied(family: str, head: Optional[str]) -> Dict[str, Dict[str, str]]:
  """{hf_model: {tied key: key it copies}}."""
  if head is not None:
    return {}
  if family == "bert":
    return {"main": {"cls.predictions.decoder.weight":
                     "bert.embeddings.word_embeddings.weight",
                     "cls.predictions.decoder.bias": "cls.predictions.bias"}}
  if family == "albert":
    return {"main": {"predictions.decoder.weight":
                     "albert.embeddings.word_embeddings.weight",
                     "predictions.decoder.bias": "predictions.bias"}}
  return {"generator": {"generator_lm_head.weight":
                        "electra.embeddings.word_embeddings.weight"}}


def hf_state_dicts(model, config: ModelConfig) -> Dict[str, Dict[str, np.ndarray]]:
  """{"main": state dict[, "generator": state dict]} of `model` as numpy."""
  out = {"main": {}}
  for entry, variable in _bind(model, config):
    out.setdefault(entry.hf_model, {})[entry.hf] = _to_hf(entry, variable.numpy())
  if "generator" in out:  # the generator's copy of the shared embeddings
    for key, value in out["main"].items():
      if key.startswith("electra.embeddings."):
        out["generator"][key] = value
  for name, ties in _tied(config.family, _head_name(model)).items():
    for key, source in ties.items():
      out[name][key] = out[name][source]
  return out


def hf_architectures(model, config: ModelConfig) -> Dict[str, str]:
  head = _head_name(model)
  if head is not None:
    return {"main": heads.hf_architecture(config.family, head)}
  out = {"main": _PRETRAINING_ARCH[config.family]}
  if config.family == "electra":
    out["generator"] = "ElectraForMaskedLM"
  return out


# ------------------------------------------------------------------- write
def save_hf_model(model, directory: str, config: ModelConfig,
                  labels: Optional[List[str]] = None, pad_token_id: int = 0
                  ) -> List[str]:
  """Writes config.json + model.safetensors into `directory` (which exists).

  ELECTRA pretrainers also write `generator/`. `labels` names a fine-tuned
  classifier's classes (default LABEL_0...). Returns the directories written.
  The caller stages `directory` and renames it when complete (`convert.py`).
  """
  from safetensors.numpy import save  # pylint: disable=import-outside-toplevel
  head = _head_name(model)
  states = hf_state_dicts(model, config)
  archs = hf_architectures(model, config)
  written = []
  for name, state in states.items():
    path = directory if name == "main" else os.path.join(directory, GENERATOR_DIR)
    tf.io.gfile.makedirs(path)
    net_config = config if name == "main" else config.generator_config()
    values = hf_config_dict(net_config, archs[name], pad_token_id)
    if head is not None:
      n = model.num_outputs
      names = list(labels) if labels else [f"LABEL_{i}" for i in range(n)]
      if model.spec.named_labels and len(names) != n:
        raise CheckpointError(f"labels: {len(names)} given for a head with "
                              f"{n} outputs")
      values.update(heads.hf_config_updates(head, names))
    fileio.write_json(os.path.join(path, CONFIG_NAME), values)
    data = save({k: np.asarray(v, np.float32) for k, v in state.items()},
                metadata={"format": "pt"})
    with tf.io.gfile.GFile(os.path.join(path, WEIGHTS_NAME), "wb") as f:
      f.write(data)
    written.append(path)
  return written


# -------------------------------------------------------------------- read
def _read_config(path: str) -> Dict[str, object]:
  return fileio.read_json_object(path, CheckpointError,
                                 "Hugging Face model config")


def _read_weights(directory: str) -> Dict[str, np.ndarray]:
  from safetensors.numpy import load  # pylint: disable=import-outside-toplevel
  path = os.path.join(directory, WEIGHTS_NAME)
  if not tf.io.gfile.exists(path):
    others = [n for n in PICKLE_NAMES
              if tf.io.gfile.exists(os.path.join(directory, n))]
    if others:
      raise CheckpointError(
          f"{directory}: only {others[0]} (a pickle/framework file, which is "
          f"not read for safety); convert it to {WEIGHTS_NAME} first")
    if any(n.startswith("model-") and n.endswith(".safetensors")
           for n in tf.io.gfile.listdir(directory)):
      raise CheckpointError(f"{directory}: sharded safetensors are not "
                            "supported; expected one model.safetensors")
    raise CheckpointError(f"{directory}: no {WEIGHTS_NAME}")
  data = fileio.read_bytes(path, CheckpointError, "model weights")
  try:
    return load(data)
  except Exception as e:  # safetensors raises its own error types
    raise CheckpointError(f"{path}: cannot read safetensors "
                          f"({str(e).splitlines()[0]})") from None


def read_hf_config(directory: str, family: str):
  """(ModelConfig, main config.json dict) of an HF directory."""
  if not tf.io.gfile.isdir(directory):
    raise CheckpointError(f"{directory}: not a directory")
  values = _read_config(os.path.join(directory, CONFIG_NAME))
  gen_dir = os.path.join(directory, GENERATOR_DIR)
  generator = (_read_config(os.path.join(gen_dir, CONFIG_NAME))
               if family == "electra" and tf.io.gfile.isdir(gen_dir) else None)
  return config_from_hf_dict(values, family,
                             os.path.join(directory, CONFIG_NAME),
                             generator), values


def head_from_hf(values: Dict[str, object]) -> Optional[Tuple[str, int, List[str]]]:
  """(head, num_outputs, labels) for a fine-tuned HF config, else None."""
  arch = (values.get("architectures") or [""])[0]
  candidates = [h for h in heads.HEADS.values() if arch.endswith(h.hf_suffix)]
  if not candidates:
    return None
  # *ForSequenceClassification: the problem_type tells the heads apart.
  spec = next((h for h in candidates
               if h.problem_type == values.get("problem_type")), candidates[0])
  if not spec.hf_num_labels:
    return spec.name, spec.num_outputs, []
  id2label = values.get("id2label") or {}
  n = int(values.get("num_labels", len(id2label) or 2))
  return spec.name, n, [id2label.get(str(i), f"LABEL_{i}") for i in range(n)]


def load_hf_model(model, directory: str, config: ModelConfig,
                  require_heads: bool = True) -> List[str]:
  """Assigns the tensors of an HF directory to `model` (built).

  Every tensor is found and shape-checked, and all are converted to our
  layout, before the first is assigned (`integrity.assign_checked`: peak
  memory about one extra copy of the weights). Heads
  absent from the directory keep their values when `require_heads` is False
  (an encoder-only `*Model` export). Returns the HF keys the table does not
  name (tied copies excluded).
  """
  bound = _bind(model, config)
  states = {"main": _read_weights(directory)}
  gen_dir = os.path.join(directory, GENERATOR_DIR)
  if (any(e.hf_model == "generator" for e, _ in bound) and
      tf.io.gfile.isdir(gen_dir)):
    states["generator"] = _read_weights(gen_dir)
  head = _head_name(model)
  rows, missing, used = [], [], {}
  for entry, variable in bound:
    state = states.get(entry.hf_model)
    key = entry.hf
    if state is None or key not in state:
      # Without require_heads, the heads and the pooler may be absent (HF
      # token / QA models and ELECTRA have no pooler).
      optional = not require_heads and (entry.is_head or "pooler" in entry.hf)
      # transformers' encoder-only classes put the base model unprefixed.
      if state is not None and "." in key and key.split(".", 1)[1] in state \
          and key.split(".", 1)[0] in _MODEL_TYPES.values():
        key = key.split(".", 1)[1]
      elif entry.hf_model == "generator" and state is None:
        if require_heads:  # else: a discriminator-only release
          missing.append(f"{GENERATOR_DIR}/ (the ELECTRA generator)")
        continue
      elif not optional:
        missing.append(key)
        continue
      else:
        continue
    value, ours = state[key], variable.shape.as_list()
    rows.append(integrity.Row(
        variable, key, list(value.shape),
        list(_to_hf(entry, np.zeros(ours, np.float32)).shape),
        lambda e=entry, v=value, s=ours: _from_hf(e, v, s)))
    used.setdefault(entry.hf_model, set()).add(key)
  integrity.assign_checked(directory, config.family, rows, missing)
  tied = _tied(config.family, head)
  unused = []
  for name, state in states.items():
    skip = used.get(name, set()) | set(tied.get(name, {}))
    if name == "generator":
      skip |= {k for k in state if k.startswith("electra.embeddings.")}
    unused += sorted(k for k in state if k not in skip)
  return unused


def load_hf_checkpoint(model, directory: str, config: ModelConfig) -> List[str]:
  """`load_hf_model` for initialization: heads and pooler may be absent."""
  return load_hf_model(model, directory, config, require_heads=False)
