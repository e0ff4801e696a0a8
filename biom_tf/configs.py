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
import os
from typing import Any, Dict, Optional

import tensorflow as tf

from biom_tf import fileio

FAMILIES = ("bert", "albert", "electra")
# The original config file of each family (the TF1 export writes these).
CONFIG_FILE_NAMES = {"bert": "bert_config.json",
                     "albert": "albert_config.json",
                     "electra": "electra_config.json"}
# ELECTRA's model_size → (hidden, layers, embedding size, generator size as a
# fraction of the discriminator), as google-research/electra's
# configure_pretraining.py and training_utils derive them.
ELECTRA_SIZES = {"small": (256, 12, 128, 0.25), "base": (768, 12, 768, 1 / 3),
                 "large": (1024, 24, 1024, 0.25)}

# Activations of `hidden_act`. The original code bases write "gelu" for the
# tanh approximation of GELU (Hugging Face's "gelu_new", also accepted);
# "gelu_exact" is the exact (erf) GELU of models trained in PyTorch, which
# Hugging Face calls "gelu" (`checkpoints.huggingface` maps the names).
ACTIVATIONS = ("gelu", "gelu_new", "gelu_exact", "relu", "tanh", "linear")

# Keys of the originals' config files that our models need not read, with
# the value at which they change nothing. They are kept (`extra_keys`) and
# written back as read. google-research/albert's modeling.py reads none of
# net_structure_type, num_memory_blocks, down_scale_factor or gap_size (they
# come from ALBERT variants it does not include), so another value than the
# neutral one describes a model that neither it nor biom_tf builds: an error
# naming the key. gap_size only applies to net_structure_type != 0 and is
# kept whatever its value. None: any value, kept (google-research/bert's
# multilingual configs add directionality and pooler_*, which modeling.py
# ignores; ELECTRA's hparams name the model_size).
_EXTRA_KEYS = {
    "bert": {"directionality": None, "pooler_fc_size": None,
             "pooler_num_attention_heads": None, "pooler_num_fc_layers": None,
             "pooler_size_per_head": None, "pooler_type": None},
    "albert": {"net_structure_type": 0, "num_memory_blocks": 0,
               "down_scale_factor": 1, "gap_size": None, "layers_to_keep": []},
    "electra": {"model_size": None},
}
_EXTRA_KEYS["electra"].update(_EXTRA_KEYS["bert"])
# What the ALBERT writer puts in albert_config.json besides our fields, as
# Google's own albert_config.json files do.
_ALBERT_DEFAULTS = dict(down_scale_factor=1, net_structure_type=0, gap_size=0,
                        num_memory_blocks=0)


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
  # Keys of the original config file that describe nothing our models do
  # differently (`_EXTRA_KEYS`), kept to be written back as read.
  extra_keys: Dict[str, Any] = dataclasses.field(default_factory=dict,
                                                 compare=False, repr=False)

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
    for name in ("num_hidden_groups", "inner_group_num"):
      if getattr(self, name) != 1:
        raise ConfigError(
            f"{name}={getattr(self, name)!r} would change the architecture: "
            "only 1 (all published ALBERT models) is supported")
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
                 inner_group_num=self.inner_group_num, **_ALBERT_DEFAULTS)
    elif self.family == "electra":
      out.update(embedding_size=self.embedding_width,
                 generator_hidden_size=self.generator_hidden_size,
                 generator_layers=self.generator_layers)
    out.update(self.extra_keys)
    return out

  def to_json_file(self, path: str):
    """Writes the original-format JSON (bert_config.json / albert_config.json)."""
    fileio.write_json(path, self.to_original_dict())

  @classmethod
  def from_dict(cls, values: Dict[str, Any], family: str,
                source: str = "<dict>") -> "ModelConfig":
    """Builds a config from original-format keys; unknown keys are an error."""
    values = dict(values)
    if family not in FAMILIES:
      raise ConfigError(f"{source}: family={family!r}: expected one of "
                        f"{FAMILIES}")
    extra = {}
    for key, neutral in _EXTRA_KEYS[family].items():
      if key not in values:
        continue
      value = values.pop(key)
      if neutral is not None and value is not None and value != neutral:
        raise ConfigError(
            f"{source}: {key}={value!r} would change the architecture; only "
            f"{neutral!r} is supported")
      extra[key] = value
    values.pop("family", None)
    known = {f.name for f in dataclasses.fields(cls)} - {"family", "extra_keys"}
    unknown = sorted(set(values) - known)
    if unknown:
      raise ConfigError(f"{source}: unknown key(s) {unknown} for family "
                        f"{family!r}; expected keys among {sorted(known)}")
    try:
      return cls(family=family, extra_keys=extra, **values)
    except ConfigError as e:
      raise ConfigError(f"{source}: {e}") from None
    except TypeError as e:
      raise ConfigError(f"{source}: {e}") from None

  @classmethod
  def from_json_file(cls, path: str, family: str) -> "ModelConfig":
    """Reads bert_config.json / albert_config.json / an ELECTRA config."""
    values = fileio.read_json_object(path, ConfigError, "config file")
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
    size = hparams.get("model_size", "small")
    if size not in ELECTRA_SIZES:
      raise ConfigError(f"{source}: model_size={size!r}: expected one of "
                        f"{sorted(ELECTRA_SIZES)}")
    hidden, layers, embedding, generator = ELECTRA_SIZES[size]
    values = dict(hidden_size=hidden, num_hidden_layers=layers,
                  num_attention_heads=max(1, hidden // 64),
                  intermediate_size=4 * hidden)
    values.update(hparams.get("model_hparam_overrides", {}))
    values["embedding_size"] = hparams.get("embedding_size") or embedding
    values["generator_hidden_size"] = hparams.get("generator_hidden_size",
                                                  generator)
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
  source: str = ""              # where the numbers come from


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
  hidden, layers, embedding, gen = ELECTRA_SIZES[size]
  return ModelConfig(family="electra", vocab_size=vocab, hidden_size=hidden,
                     num_hidden_layers=layers,
                     num_attention_heads=max(1, hidden // 64),
                     intermediate_size=4 * hidden, embedding_size=embedding,
                     generator_hidden_size=gen)


# Sources, per preset (every number: vocabulary, sizes, casing, length):
#  Google BERT: google-research/bert README (uncased_L-12_H-768_A-12 etc.).
#  BioBERT: dmis-lab/biobert README.md ("BioBERT-Base v1.0 (+ PubMed 200K)",
#    "(+ PMC 270K)", "(+ PubMed 200K + PMC 270K)", "v1.1 (+ PubMed 1M)": BERT-
#    Base cased, same vocabulary, 28,996); BioBERT-Large v1.1: the same README
#    ("based on BERT-large-Cased", custom vocabulary) and the Hugging Face
#    dmis-lab/biobert-large-cased-v1.1(-squad) config.json (24 layers, hidden
#    1024, 16 heads, intermediate 4096, vocab_size 58996); sequence 512: Lee
#    et al. 2020 (BioBERT), pretraining.
#  BlueBERT: ncbi-nlp/bluebert README.md (NCBI_BERT_pubmed_uncased_L-12_H-768
#    _A-12, _pubmed_mimic_uncased_L-12_H-768_A-12, and the L-24_H-1024_A-16
#    Large ones; Google's uncased vocabulary; pretraining seq 128).
#  Bioformer-8L (LitBERT's published checkpoint): bioformers/bioformer-8L
#    model card (8 layers, hidden 512, 8 heads, cased WordPiece vocabulary of
#    32,768, max sequence 512); WGLab/Bioformer README.
#  ALBERT v2: google-research/albert README / albert_config.json.
#  ELECTRA: google-research/electra configure_pretraining.py and the paper's
#    Table 6 (sizes; uncased: do_lower_case = True).
#  BioM: salrowili/BioM-Transformers README.md (TensorFlow checkpoints
#    table: BioM-ELECTRA-Base/Large "29K PubMed" vocabulary, BioM-BERT-Large
#    30K, BioM-ALBERT-xxlarge "30K PubMed"), examples/Example_of_NER_and_
#    ChemProt_Task_on_TPU.ipynb (run configs: vocab_size 28895 for BioM-
#    ELECTRA-Large, 30000 for BioM-BERT-Large model.ckpt-690000,
#    do_lower_case True for both), sultan/BioM-ELECTRA-Large-SQuAD2
#    tokenizer_config.json (do_lower_case true). BioM-ELECTRA-Base shares the
#    Large model's vocabulary and ELECTRA code base (configure_finetuning
#    do_lower_case=True).
_BIOBERT = "dmis-lab/biobert README.md"
_BLUEBERT = "ncbi-nlp/bluebert README.md"
_BIOM = ("salrowili/BioM-Transformers README.md + examples/Example_of_NER_and_"
         "ChemProt_Task_on_TPU.ipynb")

_PRESETS = [
    Preset("bert-base-uncased", _bert(30522), True, description="Google BERT-Base, uncased",
           source="google-research/bert README"),
    Preset("bert-base-cased", _bert(28996), False, description="Google BERT-Base, cased",
           source="google-research/bert README"),
    Preset("bert-large-uncased", _bert(30522, 1024, 24, 16, 4096), True,
           description="Google BERT-Large, uncased", source="google-research/bert README"),
    Preset("biobert-base-cased-v1.0-pubmed", _bert(28996), False, max_seq_length=512,
           description="BioBERT v1.0: BERT-Base cased + 200K steps on PubMed",
           source=_BIOBERT),
    Preset("biobert-base-cased-v1.0-pmc", _bert(28996), False, max_seq_length=512,
           description="BioBERT v1.0: BERT-Base cased + 270K steps on PMC",
           source=_BIOBERT),
    Preset("biobert-base-cased-v1.0-pubmed-pmc", _bert(28996), False, max_seq_length=512,
           description="BioBERT v1.0: BERT-Base cased + 200K PubMed + 270K PMC steps",
           source=_BIOBERT),
    Preset("biobert-base-cased-v1.1", _bert(28996), False, max_seq_length=512,
           description="BioBERT v1.1: BERT-Base cased + 1M steps on PubMed",
           source=_BIOBERT),
    Preset("biobert-large-cased-v1.1", _bert(58996, 1024, 24, 16, 4096), False,
           max_seq_length=512,
           description="BioBERT-Large v1.1: BERT-Large cased, custom cased vocab "
           "of 58,996, + 1M steps on PubMed",
           source=_BIOBERT + "; dmis-lab/biobert-large-cased-v1.1 config.json"),
    Preset("bluebert-base-uncased-pubmed", _bert(30522), True, max_seq_length=128,
           description="BlueBERT-Base: BERT-Base uncased + 5M steps on PubMed",
           source=_BLUEBERT),
    Preset("bluebert-base-uncased-pubmed-mimic", _bert(30522), True, max_seq_length=128,
           description="BlueBERT-Base: PubMed + MIMIC-III", source=_BLUEBERT),
    Preset("bluebert-large-uncased-pubmed", _bert(30522, 1024, 24, 16, 4096), True,
           max_seq_length=128,
           description="BlueBERT-Large: BERT-Large uncased + PubMed",
           source=_BLUEBERT + " (NCBI_BERT_pubmed_uncased_L-24_H-1024_A-16)"),
    Preset("bluebert-large-uncased-pubmed-mimic", _bert(30522, 1024, 24, 16, 4096),
           True, max_seq_length=128,
           description="BlueBERT-Large: BERT-Large uncased + PubMed + MIMIC-III",
           source=_BLUEBERT + " (NCBI_BERT_pubmed_mimic_uncased_L-24_H-1024_A-16)"),
    Preset("litbert-cased", _bert(32768, 512, 8, 8, 2048), False, max_seq_length=512,
           description="LitBERT: 8 layers, hidden 512, cased biomedical vocab "
           "(published as Bioformer-8L)",
           source="bioformers/bioformer-8L model card"),
    Preset("bioformer-8l", _bert(32768, 512, 8, 8, 2048), False, max_seq_length=512,
           description="Bioformer-8L: 8 layers, hidden 512, 8 heads, cased "
           "vocab of 32,768 (PubMed + 1M PMC articles)",
           source="bioformers/bioformer-8L model card; WGLab/Bioformer README"),
    Preset("albert-base-v2", _albert(768, 12, 12, 3072), True, "sentencepiece",
           source="google-research/albert README"),
    Preset("albert-large-v2", _albert(1024, 24, 16, 4096), True, "sentencepiece",
           source="google-research/albert README"),
    Preset("albert-xlarge-v2", _albert(2048, 24, 16, 8192), True, "sentencepiece",
           source="google-research/albert README"),
    Preset("albert-xxlarge-v2", _albert(4096, 12, 64, 16384), True, "sentencepiece",
           source="google-research/albert README"),
    Preset("biom-albert-xxlarge", _albert(4096, 12, 64, 16384), True, "sentencepiece",
           description="BioM-ALBERT-xxlarge: 30k SentencePiece PubMed vocab",
           source=_BIOM),
    Preset("electra-small", _electra("small"), True, max_seq_length=128,
           source="google-research/electra configure_pretraining.py"),
    Preset("electra-base", _electra("base"), True,
           source="google-research/electra; paper Table 6"),
    Preset("electra-large", _electra("large"), True,
           source="google-research/electra; paper Table 6"),
    Preset("biom-electra-base", _electra("base", 28895), True,
           description="BioM-ELECTRA-Base: lower-cased PubMed vocab of 28,895",
           source=_BIOM),
    Preset("biom-electra-large", _electra("large", 28895), True,
           description="BioM-ELECTRA-Large: lower-cased PubMed vocab of 28,895",
           source=_BIOM + "; sultan/BioM-ELECTRA-Large-SQuAD2 tokenizer_config.json"),
    Preset("biom-bert-large", _bert(30000, 1024, 24, 16, 4096), True,
           description="BioM-BERT-PubMed-PMC-Large: lower-cased vocab of 30,000",
           source=_BIOM + " (BioM-BERT-Large run config: vocab_size 30000, "
           "do_lower_case True)"),
]
PRESETS = {p.name: p for p in _PRESETS}


def get_preset(name: str) -> Preset:
  """Returns the named preset; the error lists the known names."""
  try:
    return PRESETS[name]
  except KeyError:
    raise ConfigError(f"unknown preset {name!r}; known presets: "
                      f"{', '.join(sorted(PRESETS))}") from None


def find_config_file(directory: str,
                     family: Optional[str] = None) -> Optional[str]:
  """The original config file inside a checkpoint directory, if any.

  `family`'s name in CONFIG_FILE_NAMES first, then the table's other names
  (bert_config.json last: older versions wrote it for every family, so an
  ELECTRA run resumed since holds electra_config.json beside an old
  bert_config.json), then config.json and hparams.json.
  """
  table = sorted(CONFIG_FILE_NAMES.values(),
                 key=lambda name: name == CONFIG_FILE_NAMES["bert"])
  if family in CONFIG_FILE_NAMES:
    table.remove(CONFIG_FILE_NAMES[family])
    table.insert(0, CONFIG_FILE_NAMES[family])
  for name in table + ["config.json", "hparams.json"]:
    path = os.path.join(directory, name)
    if tf.io.gfile.exists(path):
      return path
  return None
