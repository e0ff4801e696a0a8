"""Pretraining recipes of the published biomedical models, as named presets.

A recipe fills `tools/run_pretraining.py`'s flags (model preset, sequence
length, batch, steps, optimizer, learning rate, warmup) and states its token
arithmetic: tokens seen = max_seq_length x train_batch_size x num_train_steps
(an upper bound: padding counts).

Sizes (sequence, batch, steps, optimizer) come from the papers and model
cards named in `source`. Where a source gives no learning rate or warmup, the
value used is that of the code base the model was trained with, and `notes`
says so; check it before spending a pod on it.
"""
import dataclasses
from typing import Dict, Iterable, Mapping, Optional

from biom_tf.configs import ConfigError
from biom_tf.configs import get_preset


def flag_values_with(recipe_flags: Mapping[str, object], flag_values,
                     names: Iterable[str],
                     recipe_names: Optional[Iterable[str]] = None,
                     defaults: Optional[Mapping[str, object]] = None
                     ) -> Dict[str, object]:
  """{name: the flag's value, or the recipe's where the flag was not given}.

  The one way both tools merge a recipe (`Recipe.flags()` here, or a
  fine-tuning `tasks.recipes.Recipe.flags()`) into their absl `flag_values`;
  the flags themselves are left as parsed. `recipe_names`: the recipe values
  the tool takes (None: all of them); `defaults`: the tool's values where
  neither the command line nor the recipe gives one (e.g. ALBERT's).
  """
  if recipe_names is not None:
    recipe_names = set(recipe_names)
    recipe_flags = {name: value for name, value in recipe_flags.items()
                    if name in recipe_names}
  given = {**(defaults or {}), **recipe_flags}
  return {name: given[name]
          if name in given and not flag_values[name].present
          else flag_values[name].value for name in names}


def settings_from(cls, values: Mapping[str, object],
                  renamed: Optional[Mapping[str, str]] = None, **given):
  """A settings dataclass `cls` from flag values, matched by name.

  Each init field of `cls` takes `given[field]` when given, else
  `values[renamed.get(field, field)]` when that flag is in `values` (e.g.
  from `flag_values_with`), else its own default. The one way the tools
  turn their flags into settings, instead of copying them field by field.
  """
  renamed = renamed or {}
  kwargs = {}
  for field in dataclasses.fields(cls):
    name = renamed.get(field.name, field.name)
    if field.init and field.name not in given and name in values:
      kwargs[field.name] = values[name]
  return cls(**kwargs, **given)


@dataclasses.dataclass(frozen=True)
class Recipe:
  name: str
  preset: str                        # biom_tf.configs preset (architecture)
  max_seq_length: int
  train_batch_size: int
  num_train_steps: int
  learning_rate: float
  num_warmup_steps: int
  max_predictions_per_seq: int
  optimizer: str = "adamw"
  # ELECTRA's on-the-fly masking rate (`--mask_prob`); None for BERT and
  # ALBERT, whose masks are written offline (create_pretraining_data's
  # --masked_lm_prob).
  mask_prob: Optional[float] = None
  do_lower_case: Optional[bool] = None   # None: the preset's casing
  init_from: Optional[str] = None    # what --init_checkpoint must point to
  corpus: str = ""
  source: str = ""
  notes: str = ""

  @property
  def family(self) -> str:
    return get_preset(self.preset).config.family

  @property
  def lower_case(self) -> bool:
    """Casing of the corpus and vocabulary (the preset's unless set)."""
    if self.do_lower_case is not None:
      return self.do_lower_case
    return get_preset(self.preset).do_lower_case

  @property
  def tokens(self) -> int:
    return self.max_seq_length * self.train_batch_size * self.num_train_steps

  def token_arithmetic(self) -> str:
    """E.g. '128 tokens x 256 sequences x 5,000,000 steps = 163.8B tokens'."""
    return (f"{self.max_seq_length} tokens x {self.train_batch_size:,} "
            f"sequences x {self.num_train_steps:,} steps = "
            f"{self.tokens / 1e9:.1f}B tokens")

  def flags(self) -> Dict[str, object]:
    """run_pretraining flag values this recipe sets."""
    values = dict(model_family=self.family, preset=self.preset,
                  max_seq_length=self.max_seq_length,
                  max_predictions_per_seq=self.max_predictions_per_seq,
                  train_batch_size=self.train_batch_size,
                  num_train_steps=self.num_train_steps,
                  learning_rate=self.learning_rate,
                  num_warmup_steps=self.num_warmup_steps,
                  optimizer=self.optimizer, do_lower_case=self.lower_case)
    if self.mask_prob is not None:
      values["mask_prob"] = self.mask_prob
    return values

  def describe(self) -> str:
    lines = [f"recipe {self.name}: {get_preset(self.preset).description or self.preset}",
             f"  {self.token_arithmetic()}",
             f"  optimizer {self.optimizer}, learning rate {self.learning_rate:g}, "
             f"warmup {self.num_warmup_steps:,} steps",
             f"  {'lower-cased' if self.lower_case else 'cased'}, "
             f"{self.max_predictions_per_seq} predictions per sequence"
             + (f", masking {self.mask_prob:.0%} on the fly"
                if self.mask_prob is not None else "")]
    if self.init_from:
      lines.append(f"  --init_checkpoint: {self.init_from}")
    if self.corpus:
      lines.append(f"  corpus: {self.corpus}")
    if self.source:
      lines.append(f"  source: {self.source}")
    if self.notes:
      lines.append(f"  note: {self.notes}")
    return "\n".join(lines)


_BERT_LR_NOTE = ("learning rate and warmup not stated by the source; "
                 "google-research/bert's README example for continuing from a "
                 "checkpoint (2e-5, 10k warmup)")

_RECIPES = [
    Recipe("bluebert_base", "bluebert-base-uncased-pubmed",
           max_seq_length=128, train_batch_size=256, num_train_steps=5_000_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=20,
           init_from="BERT-Base, Uncased (google-research/bert)",
           corpus="PubMed abstracts (~4,000M words)",
           source="Peng et al. 2019 (BlueBERT), ncbi-nlp/bluebert",
           notes=_BERT_LR_NOTE),
    Recipe("bluebert_base_mimic", "bluebert-base-uncased-pubmed-mimic",
           max_seq_length=128, train_batch_size=256, num_train_steps=200_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=20,
           init_from="the bluebert_base result (PubMed, 5M steps)",
           corpus="MIMIC-III clinical notes",
           source="Peng et al. 2019 (BlueBERT): +0.2M steps on MIMIC-III",
           notes=_BERT_LR_NOTE),
    # BioBERT: dmis-lab/biobert README.md lists the checkpoints and their
    # steps (v1.0: "+ PubMed 200K", "+ PMC 270K", "+ PubMed 200K + PMC 270K";
    # v1.1: "+ PubMed 1M"), all from BERT-Base Cased with its vocabulary;
    # Lee et al. 2020 (BioBERT): sequence 512, mini-batch 192.
    Recipe("biobert_v1_0_pubmed", "biobert-base-cased-v1.0-pubmed",
           max_seq_length=512, train_batch_size=192, num_train_steps=200_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           init_from="BERT-Base, Cased (google-research/bert)",
           corpus="PubMed abstracts",
           source="dmis-lab/biobert README.md (BioBERT-Base v1.0 + PubMed "
                  "200K); Lee et al. 2020: batch 192, sequence 512",
           notes=_BERT_LR_NOTE),
    Recipe("biobert_v1_0_pmc", "biobert-base-cased-v1.0-pmc",
           max_seq_length=512, train_batch_size=192, num_train_steps=270_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           init_from="BERT-Base, Cased (google-research/bert)",
           corpus="PMC full-text articles",
           source="dmis-lab/biobert README.md (BioBERT-Base v1.0 + PMC "
                  "270K); Lee et al. 2020: batch 192, sequence 512",
           notes=_BERT_LR_NOTE),
    Recipe("biobert_v1_0_pubmed_pmc", "biobert-base-cased-v1.0-pubmed-pmc",
           max_seq_length=512, train_batch_size=192, num_train_steps=470_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           init_from="BERT-Base, Cased (google-research/bert)",
           corpus="PubMed abstracts + PMC full-text articles",
           source="dmis-lab/biobert README.md (BioBERT-Base v1.0 + PubMed "
                  "200K + PMC 270K = 470K steps); Lee et al. 2020: batch 192, "
                  "sequence 512",
           notes=_BERT_LR_NOTE),
    Recipe("biobert_v1_1", "biobert-base-cased-v1.1",
           max_seq_length=512, train_batch_size=192, num_train_steps=1_000_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           init_from="BERT-Base, Cased (google-research/bert)",
           corpus="PubMed abstracts",
           source="Lee et al. 2020 (BioBERT), dmis-lab/biobert: v1.1 = "
                  "1M steps on PubMed, batch 192, sequence 512",
           notes=_BERT_LR_NOTE),
    # LitBERT's published checkpoint is Bioformer-8L: the bioformers/
    # bioformer-8L model card gives 2M steps at batch 256 with sequences of
    # 512 on one Cloud TPU, whole-word masking at 15%, NSP kept.
    Recipe("litbert", "litbert-cased",
           max_seq_length=512, train_batch_size=256, num_train_steps=2_000_000,
           learning_rate=1e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           corpus="PubMed abstracts + 1M PMC articles",
           source="bioformers/bioformer-8L model card (LitBERT = Bioformer-"
                  "8L): 8 layers, hidden 512, 2M steps, batch 256, sequence "
                  "512, whole-word masking 15%",
           notes="learning rate and warmup are google-research/bert's "
                 "from-scratch defaults (1e-4, 10k), not stated by the "
                 "source; 80 predictions = google-research/bert's setting "
                 "for 512-token sequences"),
    # BioM-Transformers: salrowili/BioM-Transformers README.md, "Pre-Trained
    # LM Models (TensorFlow)" table (corpus, vocabulary, batch, steps).
    # ELECTRA masks on the fly: mask_prob 0.15 (Base) and 0.25 (Large),
    # max_predictions = int((mask_prob + 0.005) x 512), google-research/
    # electra configure_pretraining.py.
    Recipe("biom_electra_base", "biom-electra-base",
           max_seq_length=512, train_batch_size=1024, num_train_steps=500_000,
           learning_rate=2e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=79, mask_prob=0.15,
           corpus="PubMed abstracts, biomedical vocabulary",
           source="salrowili/BioM-Transformers README.md (BioM-ELECTRA-Base: "
                  "PubMed abstracts, 29K PubMed vocab, batch 1024, 500K "
                  "steps); model card: TPUv3-32",
           notes="sequence 512 assumed (not on the model card); learning rate "
                 "and warmup: google-research/electra's Base settings; "
                 "max_predictions = int((0.15 + 0.005) x 512)"),
    Recipe("biom_electra_large", "biom-electra-large",
           max_seq_length=512, train_batch_size=4096, num_train_steps=434_000,
           learning_rate=2e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=130, mask_prob=0.25,
           corpus="PubMed abstracts, biomedical vocabulary",
           source="salrowili/BioM-Transformers README.md (BioM-ELECTRA-Large: "
                  "batch 4096, 434K steps); google-research/electra "
                  "configure_pretraining.py: Large masks 25%",
           notes="sequence 512 assumed (not on the model card); learning rate "
                 "and warmup: google-research/electra's Large settings; "
                 "max_predictions = int((0.25 + 0.005) x 512)"),
    Recipe("biom_bert_large", "biom-bert-large",
           max_seq_length=512, train_batch_size=4096, num_train_steps=690_000,
           learning_rate=2e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=79,
           corpus="PubMed abstracts + PMC full-text articles",
           source="salrowili/BioM-Transformers README.md (BioM-BERT-Large: "
                  "PubMed Abstracts + PMC, 30K vocab, batch 4096, 690K steps; "
                  "released as model.ckpt-690000)",
           notes="sequence 512, learning rate and warmup assumed "
                 "(google-research/electra's Large settings; the model was "
                 "trained with the ELECTRA code base and the BERT "
                 "objective); max_predictions = int((0.15 + 0.005) x 512)"),
    Recipe("biom_albert_xxlarge", "biom-albert-xxlarge",
           max_seq_length=512, train_batch_size=8192, num_train_steps=264_000,
           learning_rate=0.00176, num_warmup_steps=3125,
           max_predictions_per_seq=20, optimizer="lamb",
           corpus="PubMed abstracts, 30k SentencePiece vocabulary",
           source="Alrowili & Shanker 2021; model card: 264K steps, batch "
                  "8192, TPUv3-512",
           notes="learning rate and warmup: google-research/albert's LAMB "
                 "example (0.00176, 3125)"),
    Recipe("biom_albert_xxlarge_pmc", "biom-albert-xxlarge",
           max_seq_length=512, train_batch_size=8192, num_train_steps=64_000,
           learning_rate=0.00176, num_warmup_steps=3125,
           max_predictions_per_seq=20, optimizer="lamb",
           init_from="the biom_albert_xxlarge result (264K steps)",
           corpus="PMC full-text articles",
           source="Alrowili & Shanker 2021; model card: +64K steps at batch "
                  "8192 from BioM-ALBERT-xxlarge (328K in all)",
           notes="learning rate and warmup: google-research/albert's LAMB "
                 "example; num_train_steps counts this run only"),
]
RECIPES = {r.name: r for r in _RECIPES}


def get_recipe(name: str) -> Recipe:
  """The named recipe (hyphens and underscores are interchangeable)."""
  key = name.strip().lower().replace("-", "_").replace(".", "_")
  if key not in RECIPES:
    raise ConfigError(f"unknown recipe {name!r}; known recipes: "
                      f"{', '.join(sorted(RECIPES))}")
  return RECIPES[key]
