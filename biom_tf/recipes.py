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
from typing import Dict, Optional

from biom_tf.configs import ConfigError
from biom_tf.configs import get_preset


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
  init_from: Optional[str] = None    # what --init_checkpoint must point to
  corpus: str = ""
  source: str = ""
  notes: str = ""

  @property
  def family(self) -> str:
    return get_preset(self.preset).config.family

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
    return dict(model_family=self.family, preset=self.preset,
                max_seq_length=self.max_seq_length,
                max_predictions_per_seq=self.max_predictions_per_seq,
                train_batch_size=self.train_batch_size,
                num_train_steps=self.num_train_steps,
                learning_rate=self.learning_rate,
                num_warmup_steps=self.num_warmup_steps,
                optimizer=self.optimizer)

  def describe(self) -> str:
    lines = [f"recipe {self.name}: {get_preset(self.preset).description or self.preset}",
             f"  {self.token_arithmetic()}",
             f"  optimizer {self.optimizer}, learning rate {self.learning_rate:g}, "
             f"warmup {self.num_warmup_steps:,} steps"]
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
    Recipe("biobert_v1_1", "biobert-base-cased-v1.1",
           max_seq_length=512, train_batch_size=192, num_train_steps=1_000_000,
           learning_rate=2e-5, num_warmup_steps=10_000,
           max_predictions_per_seq=80,
           init_from="BERT-Base, Cased (google-research/bert)",
           corpus="PubMed abstracts",
           source="Lee et al. 2020 (BioBERT), dmis-lab/biobert: v1.1 = "
                  "1M steps on PubMed, batch 192, sequence 512",
           notes=_BERT_LR_NOTE),
    Recipe("litbert", "litbert-cased",
           max_seq_length=128, train_batch_size=256, num_train_steps=2_000_000,
           learning_rate=1e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=20,
           source="LitBERT: 8 layers, hidden 512, trained from scratch for 2M "
                  "steps",
           notes="sequence, batch and learning rate are google-research/bert's "
                 "from-scratch defaults (128, 256, 1e-4), not stated by the "
                 "source"),
    Recipe("biom_electra_base", "biom-electra-base",
           max_seq_length=512, train_batch_size=1024, num_train_steps=500_000,
           learning_rate=2e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=79,
           corpus="PubMed abstracts, biomedical vocabulary",
           source="Alrowili & Shanker 2021 (BioM-Transformers); model card: "
                  "500K steps, batch 1024, TPUv3-32",
           notes="sequence 512 assumed (not on the model card); learning rate "
                 "and warmup: google-research/electra's Base settings; "
                 "max_predictions = int((0.15 + 0.005) x 512)"),
    Recipe("biom_electra_large", "biom-electra-large",
           max_seq_length=512, train_batch_size=4096, num_train_steps=434_000,
           learning_rate=2e-4, num_warmup_steps=10_000,
           max_predictions_per_seq=79,
           corpus="PubMed abstracts, biomedical vocabulary",
           source="Alrowili & Shanker 2021; model card: 434K steps, batch "
                  "4096, TPUv3-512",
           notes="sequence 512 assumed (not on the model card); learning rate "
                 "and warmup: google-research/electra's Large settings"),
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
