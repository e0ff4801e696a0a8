"""Model configurations: the original JSON files, and named presets.

One dataclass, `ModelConfig`, describes a BERT, ALBERT or ELECTRA model. It
reads and writes the files the original code bases use:

  * google-research/bert   `bert_config.json`
  * google-research/albert `albert_config.json` (adds `embedding_size`,
    `num_hidden_groups`, `inner_group_num`, ...)
  * google-research/electra: a `bert_config.json`-style file for the
    discriminator plus the pretraining hparams `model_size`, `embedding_size`,
    `generator_hidden_size`, `generator_layers` (see `from_electra_hparams`).

Presets (`get_preset`) name the published models, with their tokenizer.
"""
import dataclasses
import json
import os
from typing import Any, Dict, Optional

import tensorflow as tf

FAMILIES = ("bert", "albert", "electra")

# Activations the original code bases accept, as written in their configs.
ACTIVATIONS = ("gelu", "gelu_new", "relu", "tanh", "linear")


class ConfigError(ValueError):
  """A configuration file or value that cannot describe a model."""


@dataclasses.dataclass
class ModelConfig:
  """Hyperparameters of one encoder (and its pretraining heads).

  Field names are those of `bert_config.json`; ALBERT and ELECTRA add theirs.
  `embedding_size` None means "same as hidden_size" (BERT).
  """
  family: str = "bert"
  vocab_size: int = 30522
  hidden_size: int = 768
  num_hidden_layers: int = 12
  num_attention_heads: int = 12
  intermediate_size: int = 3072
  hidden_act: str = "gelu"
  hidden_dropout_prob: float = 0.1
  attention_probs_dropout_prob: float = 0.1
  max_position_embeddings: int = 512
  type_vocab_size: int = 2
  initializer_range: float = 0.02
  embedding_size: Optional[int] = None
  # ALBERT: cross-layer sharing. Only one group of one layer (the published
  # ALBERT models) is supported.
  num_hidden_groups: int = 1
  inner_group_num: int = 1
  # ELECTRA: generator size as fractions of the discriminator, as in
  # google-research/electra configure_pretraining.py.
  generator_hidden_size: float = 0.25
  generator_layers: float = 1.0

  def __post_init__(self):
    self.validate()

  # ------------------------------------------------------------------ checks
  def validate(self):
    """Raises ConfigError naming the field and what was expected."""
    if self.family not in FAMILIES:
      raise ConfigError(f"family={self.family!r}: expected one of {FAMILIES}")
    for name in ("vocab_size", "hidden_size", "num_hidden_layers",
                 "num_attention_heads", "intermediate_size",
                 "max_position_embeddings", "type_vocab_size"):
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{name}={value!r}: expected a positive integer")
    if self.hidden_size % self.num_attention_heads:
      raise ConfigError(
          f"hidden_size={self.hidden_size} is not divisible by "
          f"num_attention_heads={self.num_attention_heads}")
    if self.hidden_act not in ACTIVATIONS:
      raise ConfigError(
          f"hidden_act={self.hidden_act!r}: expected one of {ACTIVATIONS}")
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
      value = getattr(self, name)
      if not 0.0 <= value < 1.0:
        raise ConfigError(f"{name}={value!r}: expected a value in [0, 1)")
    if self.embedding_size is not None and self.embedding_size <= 0:
      raise ConfigError(
          f"embedding_size={self.embedding_size!r}: expected a positive integer")
    if self.family == "bert" and self.embedding_size not in (None, self.hidden_size):
      raise ConfigError(
          f"embedding_size={self.embedding_size} differs from hidden_size="
          f"{self.hidden_size}; BERT has no factorized embedding (use "
          "family='albert' or 'electra')")
    if self.num_hidden_groups != 1 or self.inner_group_num != 1:
      raise ConfigError(
          f"num_hidden_groups={self.num_hidden_groups}, inner_group_num="
          f"{self.inner_group_num}: only 1 and 1 (all published ALBERT models) "
          "are supported")
    if not 0.0 < self.generator_hidden_size <= 1.0:
      raise ConfigError(f"generator_hidden_size={self.generator_hidden_size}: "
                        "expected a fraction in (0, 1]")
    if not 0.0 < self.generator_layers <= 1.0:
      raise ConfigError(f"generator_layers={self.generator_layers}: "
                        "expected a fraction in (0, 1]")

  # --------------------------------------------------------------- derived
  @property
  def embedding_width(self) -> int:
    """Width of the word/position/type embeddings (E in ALBERT's paper)."""
    return self.embedding_size or self.hidden_size

  @property
  def head_size(self) -> int:
    return self.hidden_size // self.num_attention_heads

  def generator_config(self) -> "ModelConfig":
    """The ELECTRA generator's config, as google-research/electra derives it.

    hidden = round(H * generator_hidden_size), layers = round(L *
    generator_layers), intermediate = 4 * hidden, heads = max(1, hidden // 64);
    the embedding width stays the discriminator's (the embeddings are shared).
    """
    if self.family != "electra":
      raise ConfigError(f"family={self.family!r} has no generator")
    hidden = int(round(self.hidden_size * self.generator_hidden_size))
    return dataclasses.replace(
        self,
        hidden_size=hidden,
        num_hidden_layers=max(1, int(round(self.num_hidden_layers *
                                           self.generator_layers))),
        intermediate_size=4 * hidden,
        num_attention_heads=max(1, hidden // 64),
        embedding_size=self.embedding_width)

  # ------------------------------------------------------------- JSON I/O
  def to_original_dict(self) -> Dict[str, Any]:
    """The dict the original code base writes for this family."""
    keys = ["attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob",
            "hidden_size", "initializer_range", "intermediate_size",
            "max_position_embeddings", "num_attention_heads",
            "num_hidden_layers", "type_vocab_size", "vocab_size"]
    out = {k: getattr(self, k) for k in keys}
    if self.family == "albert":
      out.update(embedding_size=self.embedding_width,
                 num_hidden_groups=self.num_hidden_groups,
                 inner_group_num=self.inner_group_num,
                 down_scale_factor=1, net_structure_type=0, gap_size=0,
                 layers_to_keep=[])
    elif self.family == "electra":
      out.update(embedding_size=self.embedding_width,
                 generator_hidden_size=self.generator_hidden_size,
                 generator_layers=self.generator_layers)
    return out

  def to_json_file(self, path: str):
    """Writes the original-format JSON (bert_config.json / albert_config.json)."""
    with tf.io.gfile.GFile(path, "w") as f:
      f.write(json.dumps(self.to_original_dict(), indent=2, sort_keys=True) + "\n")

  @classmethod
  def from_dict(cls, values: Dict[str, Any], family: str,
                source: str = "<dict>") -> "ModelConfig":
    """Builds a config from original-format keys; unknown keys are an error."""
    values = dict(values)
    # Keys the originals write that carry no information for these models.
    ignored = {"albert": {"down_scale_factor": 1, "net_structure_type": 0,
                          "gap_size": 0, "layers_to_keep": []},
               "electra": {"model_size": None}}.get(family, {})
    for key, neutral in ignored.items():
      if key in values:
        value = values.pop(key)
        if neutral is not None and value not in (neutral, None):
          raise ConfigError(f"{source}: {key}={value!r} is not supported "
                            f"(only {neutral!r})")
    values.pop("family", None)
    # ELECTRA hparams files may spell the fractions out; BERT configs from
    # some releases carry "directionality", "pooler_*" etc. (HF style).
    for key in ("directionality", "pooler_fc_size", "pooler_num_attention_heads",
                "pooler_num_fc_layers", "pooler_size_per_head", "pooler_type"):
      values.pop(key, None)
    known = {f.name for f in dataclasses.fields(cls)} - {"family"}
    unknown = sorted(set(values) - known)
    if unknown:
      raise ConfigError(f"{source}: unknown key(s) {unknown} for family "
                        f"{family!r}; expected keys among {sorted(known)}")
    try:
      return cls(family=family, **values)
    except ConfigError as e:
      raise ConfigError(f"{source}: {e}") from None
    except TypeError as e:
      raise ConfigError(f"{source}: {e}") from None

  @classmethod
  def from_json_file(cls, path: str, family: str) -> "ModelConfig":
    """Reads bert_config.json / albert_config.json / an ELECTRA config."""
    if not tf.io.gfile.exists(path):
      raise ConfigError(f"{path}: config file not found")
    with tf.io.gfile.GFile(path) as f:
      text = f.read()
    try:
      values = json.loads(text)
    except json.JSONDecodeError as e:
      raise ConfigError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(values, dict):
      raise ConfigError(f"{path}: expected a JSON object")
    if family == "electra" and "model_size" in values and "hidden_size" not in values:
      return cls.from_electra_hparams(values, source=path)
    return cls.from_dict(values, family, source=path)

  @classmethod
  def from_electra_hparams(cls, hparams: Dict[str, Any],
                           source: str = "<hparams>") -> "ModelConfig":
    """ELECTRA's pretraining hparams → config, as its training_utils does.

    model_size small / base / large gives hidden 256 / 768 / 1024 and layers
    12 / 12 / 24; heads = max(1, hidden // 64); intermediate = 4 * hidden;
    `model_hparam_overrides` then applies.
    """
    sizes = {"small": (256, 12), "base": (768, 12), "large": (1024, 24)}
    size = hparams.get("model_size", "small")
    if size not in sizes:
      raise ConfigError(f"{source}: model_size={size!r}: expected one of "
                        f"{sorted(sizes)}")
    hidden, layers = sizes[size]
    values = dict(hidden_size=hidden, num_hidden_layers=layers,
                  num_attention_heads=max(1, hidden // 64),
                  intermediate_size=4 * hidden)
    values.update(hparams.get("model_hparam_overrides", {}))
    defaults = {"small": (128, 0.25), "base": (768, 1 / 3), "large": (1024, 0.25)}
    values["embedding_size"] = hparams.get("embedding_size") or defaults[size][0]
    values["generator_hidden_size"] = hparams.get("generator_hidden_size",
                                                  defaults[size][1])
    for key in ("vocab_size", "generator_layers"):
      if key in hparams:
        values[key] = hparams[key]
    return cls.from_dict(values, "electra", source=source)


@dataclasses.dataclass(frozen=True)
class Preset:
  """A published model: its architecture and how its text is tokenized."""
  name: str
  config: ModelConfig
  do_lower_case: bool
  tokenizer: str = "wordpiece"  # or "sentencepiece"
  max_seq_length: int = 512     # longest sequence it was trained with
  description: str = ""


def _bert(vocab, hidden=768, layers=12, heads=12, inter=3072, **kw):
  return ModelConfig(family="bert", vocab_size=vocab, hidden_size=hidden,
                     num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=inter, **kw)


def _albert(hidden, layers, heads, inter, vocab=30000):
  # ALBERT v2 configs: no dropout, gelu_new, embedding 128.
  return ModelConfig(family="albert", vocab_size=vocab, hidden_size=hidden,
                     num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=inter, embedding_size=128,
                     hidden_act="gelu_new", hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)


def _electra(size, vocab=30522):
  hidden, layers = {"small": (256, 12), "base": (768, 12), "large": (1024, 24)}[size]
  embedding, gen = {"small": (128, 0.25), "base": (768, 1 / 3),
                    "large": (1024, 0.25)}[size]
  return ModelConfig(family="electra", vocab_size=vocab, hidden_size=hidden,
                     num_hidden_layers=layers,
                     num_attention_heads=max(1, hidden // 64),
                     intermediate_size=4 * hidden, embedding_size=embedding,
                     generator_hidden_size=gen)


_PRESETS = [
    Preset("bert-base-uncased", _bert(30522), True, description="Google BERT-Base, uncased"),
    Preset("bert-base-cased", _bert(28996), False, description="Google BERT-Base, cased"),
    Preset("bert-large-uncased", _bert(30522, 1024, 24, 16, 4096), True,
           description="Google BERT-Large, uncased"),
    Preset("biobert-base-cased-v1.1", _bert(28996), False, max_seq_length=512,
           description="BioBERT v1.1: BERT-Base cased + 1M steps on PubMed"),
    Preset("bluebert-base-uncased-pubmed", _bert(30522), True, max_seq_length=128,
           description="BlueBERT-Base: BERT-Base uncased + 5M steps on PubMed"),
    Preset("bluebert-base-uncased-pubmed-mimic", _bert(30522), True, max_seq_length=128,
           description="BlueBERT-Base: PubMed + MIMIC-III"),
    Preset("litbert-cased", _bert(32768, 512, 8, 8, 2048), False, max_seq_length=512,
           description="LitBERT: 8 layers, hidden 512, cased biomedical vocab"),
    Preset("albert-base-v2", _albert(768, 12, 12, 3072), True, "sentencepiece"),
    Preset("albert-large-v2", _albert(1024, 24, 16, 4096), True, "sentencepiece"),
    Preset("albert-xlarge-v2", _albert(2048, 24, 16, 8192), True, "sentencepiece"),
    Preset("albert-xxlarge-v2", _albert(4096, 12, 64, 16384), True, "sentencepiece"),
    Preset("biom-albert-xxlarge", _albert(4096, 12, 64, 16384), True, "sentencepiece",
           description="BioM-ALBERT-xxlarge: 30k SentencePiece PubMed vocab"),
    Preset("electra-small", _electra("small"), True, max_seq_length=128),
    Preset("electra-base", _electra("base"), True),
    Preset("electra-large", _electra("large"), True),
    Preset("biom-electra-base", _electra("base", 28895), False,
           description="BioM-ELECTRA-Base: PubMed vocab of 28,895"),
    Preset("biom-electra-large", _electra("large", 28895), False,
           description="BioM-ELECTRA-Large: PubMed vocab of 28,895"),
    Preset("biom-bert-large", _bert(28895, 1024, 24, 16, 4096), False,
           description="BioM-BERT-PubMed-PMC-Large (BioM-ELECTRA vocab)"),
]
PRESETS = {p.name: p for p in _PRESETS}


def get_preset(name: str) -> Preset:
  """Returns the named preset; the error lists the known names."""
  try:
    return PRESETS[name]
  except KeyError:
    raise ConfigError(f"unknown preset {name!r}; known presets: "
                      f"{', '.join(sorted(PRESETS))}") from None


def find_config_file(directory: str) -> Optional[str]:
  """The original config file inside a checkpoint directory, if any."""
  for name in ("bert_config.json", "albert_config.json", "config.json",
               "electra_config.json", "hparams.json"):
    path = os.path.join(directory, name)
    if tf.io.gfile.exists(path):
      return path
  return None
