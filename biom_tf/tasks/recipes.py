"""Published fine-tuning hyperparameters, as named recipes.

A recipe fills the fine-tuning flags a user did not set (`--recipe=NAME`;
flags given explicitly win). Each names its source; a value the source does
not give is the google-research/bert `run_classifier.py` default and is
listed in `defaulted`, so a reader knows what was published and what was not.
A recipe carries its sequence length and, where it was published for one
model, that model's casing (`do_lower_case`; None: the checkpoint's).

`blurb-<dataset>` recipes (one per BLURB dataset) are what
`tools/run_blurb.py` fine-tunes each dataset with.
"""
import dataclasses
from typing import Dict, Optional, Tuple

from biom_tf.configs import ConfigError


@dataclasses.dataclass(frozen=True)
class Recipe:
  """Hyperparameters of one published fine-tuning setup."""
  name: str
  task: str
  learning_rate: float = 5e-5
  train_batch_size: int = 32
  max_seq_length: int = 128
  num_train_epochs: float = 3.0
  warmup_proportion: float = 0.1
  weight_decay_rate: float = 0.01
  layerwise_lr_decay: float = 1.0
  seeds: Tuple[int, ...] = (1,)
  doc_stride: Optional[int] = None
  # Casing of the model the recipe was published with: True uncased, False
  # cased, None: the recipe is for any model (casing comes with the
  # checkpoint).
  do_lower_case: Optional[bool] = None
  source: str = ""
  defaulted: Tuple[str, ...] = ()

  def flags(self) -> Dict[str, object]:
    """The recipe as `run_finetuning` flag values (see
    `biom_tf.recipes.flag_values_with`)."""
    values = {k: getattr(self, k) for k in (
        "learning_rate", "train_batch_size", "max_seq_length",
        "num_train_epochs", "warmup_proportion", "weight_decay_rate",
        "layerwise_lr_decay")}
    values["seeds"] = list(self.seeds)
    if self.doc_stride is not None:
      values["doc_stride"] = self.doc_stride
    if self.do_lower_case is not None:
      values["do_lower_case"] = self.do_lower_case
    return values


_ELECTRA_PAPER = ("Clark et al. 2020, ELECTRA, Appendix (fine-tuning details): "
                  "Adam, linear decay, 10% warmup, weight decay 0, batch 32, "
                  "layer-wise decay 0.8 (Small/Base) or 0.9 (Large), lr 3e-4 / "
                  "1e-4 / 5e-5 (Small / Base / Large); 3 epochs (10 for STS, "
                  "2 for SQuAD)")

# BioM-Transformers' own fine-tuning runs (ELECTRA's run_finetuning.py with
# their hparams; the notebook prints the full config of each run):
# salrowili/BioM-Transformers examples/Example_of_NER_and_ChemProt_Task_on_TPU
# .ipynb: NCBI-disease with BioM-ELECTRA-Large: lr 7e-5, batch 32, seq 256, 5
# epochs, warmup_proportion 0.1, weight_decay_rate 0.01, layerwise_lr_decay
# 0.9, do_lower_case True, 5 trials; ChemProt with BioM-ELECTRA-Large and with
# BioM-BERT-Large: the same but 4 epochs ("Training for 2256 steps" = 4 x
# ceil(18,034 / 32)).
_BIOM_NOTEBOOK = ("salrowili/BioM-Transformers examples/Example_of_NER_and_"
                  "ChemProt_Task_on_TPU.ipynb (run config printed per trial)")
# BlueBERT's README (ncbi-nlp/bluebert README.md, "Fine-tuning NCBI BERT"):
# STS 30 epochs seq 128; NER 30 epochs; RE (ChemProt, DDI) 10 epochs; HoC
# 3 epochs, batch 4, lr 2e-5, seq 128. Values it does not give are
# google-research/bert's run_classifier.py defaults (lr 5e-5 for STS/NER/RE,
# batch 32, seq 128, warmup 0.1), which the scripts it runs inherit.
_BLUEBERT_README = "ncbi-nlp/bluebert README.md, Fine-tuning NCBI BERT"
# BioBERT's README (dmis-lab/biobert README.md): RE `run_re.py
# --max_seq_length=128 --train_batch_size=32 --learning_rate=2e-5
# --num_train_epochs=3.0 --do_lower_case=false`; QA `run_qa.py
# --max_seq_length=384 --train_batch_size=12 --learning_rate=5e-6
# --doc_stride=128 --num_train_epochs=5.0 --do_lower_case=False`.
_BIOBERT_README = "dmis-lab/biobert README.md"
# BLURB fine-tuning, one recipe per dataset: michiyasunaga/LinkBERT
# src/run_examples_blurb_biolinkbert-base.sh (BioLinkBERT-base, Hugging Face
# Trainer: weight decay 0 and no warmup unless the script sets them). Its
# `--warmup_steps 100` (PubMedQA, BioASQ) is written as the proportion it is of
# BLURB's training set: PubMedQA 450 questions / 16 x 30 epochs = 870 steps,
# BioASQ 670 / 16 x 20 = 840 steps.
_LINKBERT_BLURB = ("michiyasunaga/LinkBERT "
                   "src/run_examples_blurb_biolinkbert-base.sh")


def _blurb(dataset, task, lr, batch, epochs, seq, warmup=0.0, note=""):
  return Recipe(f"blurb-{dataset}", task, learning_rate=lr,
                train_batch_size=batch, max_seq_length=seq,
                num_train_epochs=epochs, warmup_proportion=warmup,
                weight_decay_rate=0.0,
                source=f"{_LINKBERT_BLURB} ({dataset}: lr {lr:g}, batch "
                f"{batch}, {epochs:g} epochs, seq {seq}{note})")


_RECIPES = [
    Recipe("bert-default", "any", source="google-research/bert "
           "run_classifier.py defaults"),
    Recipe("biobert-ner", "ner", learning_rate=5e-5, train_batch_size=32,
           max_seq_length=192, num_train_epochs=30, warmup_proportion=0.0,
           weight_decay_rate=0.0, seeds=(1,), do_lower_case=False,
           source="dmis-lab/biobert-pytorch named-entity-recognition README "
           "(max length 192, batch 32, 30 epochs, seed 1; Hugging Face "
           "Trainer defaults lr 5e-5, no warmup, no weight decay); cased"),
    Recipe("biobert-re", "chemprot", learning_rate=2e-5, train_batch_size=32,
           max_seq_length=128, num_train_epochs=3, do_lower_case=False,
           source=f"{_BIOBERT_README}, Relation Extraction: run_re.py seq "
           "128, batch 32, lr 2e-5, 3 epochs, do_lower_case=false",
           defaulted=("warmup_proportion", "weight_decay_rate")),
    Recipe("biobert-qa", "squad", learning_rate=5e-6, train_batch_size=12,
           max_seq_length=384, num_train_epochs=5, doc_stride=128,
           do_lower_case=False,
           source=f"{_BIOBERT_README}, Question Answering: run_qa.py seq 384, "
           "batch 12, lr 5e-6, doc stride 128, 5 epochs, do_lower_case=False",
           defaulted=("warmup_proportion", "weight_decay_rate")),
    # BlueBERT: per task, as its README runs them (uncased models).
    Recipe("bluebert-base", "any", max_seq_length=128, train_batch_size=32,
           do_lower_case=True,
           source="BlueBERT-Base fine-tuning in sy-wada/"
           "blue_benchmark_with_transformers (max length 128, batch 32); "
           "for the published epochs per task use bluebert-sts, -ner, -re, "
           "-hoc",
           defaulted=("learning_rate", "num_train_epochs",
                      "warmup_proportion", "weight_decay_rate")),
    Recipe("bluebert-sts", "biosses", max_seq_length=128, num_train_epochs=30,
           do_lower_case=True,
           source=f"{_BLUEBERT_README}: run_ncbi_sts.py seq 128, 30 epochs",
           defaulted=("learning_rate", "train_batch_size",
                      "warmup_proportion", "weight_decay_rate")),
    Recipe("bluebert-ner", "ner", num_train_epochs=30, do_lower_case=True,
           source=f"{_BLUEBERT_README}: run_ncbi_ner.py 30 epochs",
           defaulted=("learning_rate", "train_batch_size", "max_seq_length",
                      "warmup_proportion", "weight_decay_rate")),
    Recipe("bluebert-re", "chemprot", num_train_epochs=10, do_lower_case=True,
           source=f"{_BLUEBERT_README}: run_ncbi.py (chemprot, ddi) 10 "
           "epochs",
           defaulted=("learning_rate", "train_batch_size", "max_seq_length",
                      "warmup_proportion", "weight_decay_rate")),
    Recipe("bluebert-hoc", "hoc", learning_rate=2e-5, train_batch_size=4,
           max_seq_length=128, num_train_epochs=3, do_lower_case=True,
           source=f"{_BLUEBERT_README}: run_ncbi_multi_labels.py (hoc) seq "
           "128, batch 4, lr 2e-5, 3 epochs",
           defaulted=("warmup_proportion", "weight_decay_rate")),
    # BioM-Transformers (all lower-cased: do_lower_case True in every run).
    Recipe("biom-electra-large-ner", "ner", learning_rate=7e-5,
           train_batch_size=32, max_seq_length=256, num_train_epochs=5,
           warmup_proportion=0.1, weight_decay_rate=0.01,
           layerwise_lr_decay=0.9, seeds=(1, 2, 3, 4, 5), do_lower_case=True,
           source=f"{_BIOM_NOTEBOOK}: BioM-ELECTRA-Large on NCBI-disease: lr "
           "7e-5, batch 32, seq 256, 5 epochs, warmup 0.1, weight decay "
           "0.01, layer-wise decay 0.9, 5 trials"),
    Recipe("biom-electra-large-chemprot", "chemprot", learning_rate=7e-5,
           train_batch_size=32, max_seq_length=256, num_train_epochs=4,
           warmup_proportion=0.1, weight_decay_rate=0.01,
           layerwise_lr_decay=0.9, seeds=(1, 2, 3, 4, 5), do_lower_case=True,
           source=f"{_BIOM_NOTEBOOK}: BioM-ELECTRA-Large on ChemProt: lr "
           "7e-5, batch 32, seq 256, 4 epochs, warmup 0.1, weight decay "
           "0.01, layer-wise decay 0.9, 5 trials"),
    Recipe("biom-bert-large-chemprot", "chemprot", learning_rate=7e-5,
           train_batch_size=32, max_seq_length=256, num_train_epochs=4,
           warmup_proportion=0.1, weight_decay_rate=0.01,
           layerwise_lr_decay=0.9, seeds=(1, 2, 3, 4, 5), do_lower_case=True,
           source=f"{_BIOM_NOTEBOOK}: BioM-BERT-Large (model.ckpt-690000, "
           "vocab 30,000) on ChemProt: lr 7e-5, batch 32, seq 256, 4 epochs, "
           "warmup 0.1, weight decay 0.01, layer-wise decay 0.9, 5 trials"),
    Recipe("biom-electra-large-squad", "squad", learning_rate=5e-5,
           train_batch_size=8, max_seq_length=512, num_train_epochs=3,
           doc_stride=128, weight_decay_rate=0.0, do_lower_case=True,
           source="sultan/BioM-ELECTRA-Large-SQuAD2-BioASQ8B model card "
           "(run_squad.py: lr 5e-5, 3 epochs, seq 512, doc stride 128, "
           "batch 8 per GPU)",
           defaulted=("warmup_proportion",)),
    # BioM-ALBERT-xxlarge SQuAD2.0 → BioASQ: first fine-tune on SQuAD 2.0
    # (biom-albert-xxlarge-squad2), then from that model on BioASQ factoid
    # (biom-albert-xxlarge-bioasq). Source: salrowili/BioM-Transformers
    # examples/Example_of_SQuAD2_0_and_BioASQ7B_tasks_with_BioM_ALBERT_xxlarge
    # _on_TPU.ipynb, the `albert.run_squad_v2` cell: --max_seq_length=384
    # --doc_stride=128 --max_query_length=64 --train_batch_size=40
    # --learning_rate=5e-5 --num_train_epochs=2.0 --warmup_proportion=.1
    # --do_lower_case (init model.ckpt-264500). The BioASQ step's own flags
    # were not read (its log shows 384-token windows); it takes the SQuAD
    # step's values, listed in `defaulted`.
    Recipe("biom-albert-xxlarge-squad2", "squad", learning_rate=5e-5,
           train_batch_size=40, max_seq_length=384, num_train_epochs=2,
           warmup_proportion=0.1, doc_stride=128, weight_decay_rate=0.01,
           do_lower_case=True,
           source="salrowili/BioM-Transformers examples/Example_of_SQuAD2_0_"
           "and_BioASQ7B_tasks_with_BioM_ALBERT_xxlarge_on_TPU.ipynb "
           "(albert.run_squad_v2: seq 384, stride 128, batch 40, lr 5e-5, 2 "
           "epochs, warmup 0.1, lower case); weight decay 0.01: "
           "google-research/albert optimization.py AdamWeightDecayOptimizer"),
    Recipe("biom-albert-xxlarge-bioasq", "squad", learning_rate=5e-5,
           train_batch_size=40, max_seq_length=384, num_train_epochs=2,
           warmup_proportion=0.1, doc_stride=128, weight_decay_rate=0.01,
           do_lower_case=True,
           source="salrowili/BioM-Transformers examples/Example_of_SQuAD2_0_"
           "and_BioASQ7B_tasks_with_BioM_ALBERT_xxlarge_on_TPU.ipynb (BioASQ "
           "7B factoid step; --init_checkpoint: the biom-albert-xxlarge-squad2 "
           "model; seq 384 from its log)",
           defaulted=("learning_rate", "train_batch_size",
                      "num_train_epochs", "warmup_proportion")),
    Recipe("electra-small", "any", learning_rate=3e-4, layerwise_lr_decay=0.8,
           weight_decay_rate=0.0, do_lower_case=True, source=_ELECTRA_PAPER),
    Recipe("electra-base", "any", learning_rate=1e-4, layerwise_lr_decay=0.8,
           weight_decay_rate=0.0, do_lower_case=True, source=_ELECTRA_PAPER),
    Recipe("electra-large", "any", learning_rate=5e-5, layerwise_lr_decay=0.9,
           weight_decay_rate=0.0, do_lower_case=True, source=_ELECTRA_PAPER),
    Recipe("electra-base-biosses", "biosses", learning_rate=1e-4,
           layerwise_lr_decay=0.8, weight_decay_rate=0.0, num_train_epochs=10,
           do_lower_case=True, source=_ELECTRA_PAPER + " (the STS setting)"),
    Recipe("electra-large-biosses", "biosses", learning_rate=5e-5,
           layerwise_lr_decay=0.9, weight_decay_rate=0.0, num_train_epochs=10,
           do_lower_case=True, source=_ELECTRA_PAPER + " (the STS setting)"),
    Recipe("blurb-seeds", "any", seeds=(1, 2, 3, 4, 5),
           source="BLURB (Gu et al. 2021) reports the mean over five seeds; "
           "other values are the BERT defaults",
           defaulted=("learning_rate", "train_batch_size", "max_seq_length",
                      "num_train_epochs", "warmup_proportion",
                      "weight_decay_rate")),
    # One per BLURB dataset (tools/run_blurb.py uses them).
    _blurb("bc5-chem", "ner", 5e-5, 32, 20, 512, 0.1, ", warmup 0.1"),
    _blurb("bc5-disease", "ner", 5e-5, 16, 8, 512, 0.1, ", warmup 0.1"),
    _blurb("ncbi-disease", "ner", 5e-5, 32, 20, 512, 0.1, ", warmup 0.1"),
    _blurb("bc2gm", "ner", 6e-5, 32, 50, 512, 0.1, ", warmup 0.1"),
    _blurb("jnlpba", "ner", 1e-5, 16, 5, 512, 0.1, ", warmup 0.1"),
    _blurb("ebm-pico", "pico", 5e-5, 32, 1, 512),
    _blurb("chemprot", "chemprot", 3e-5, 32, 10, 256),
    _blurb("ddi", "chemprot", 2e-5, 32, 5, 256),
    _blurb("gad", "gad", 3e-5, 32, 10, 256),
    _blurb("biosses", "biosses", 1e-5, 16, 30, 512),
    _blurb("hoc", "hoc", 4e-5, 32, 40, 512),
    _blurb("pubmedqa", "pubmedqa", 2e-5, 16, 30, 512, 100 / 870,
           ", warmup 100 steps"),
    _blurb("bioasq", "bioasq_yesno", 2e-5, 16, 20, 512, 100 / 840,
           ", warmup 100 steps"),
]
RECIPES = {r.name: r for r in _RECIPES}

# A model's recipe that differs per task: with a task, the task's own entry.
# BlueBERT's README runs STS for 30 epochs, NER 30, RE 10, HoC 3 (batch 4).
PER_TASK = {"bluebert-base": {"biosses": "bluebert-sts", "ner": "bluebert-ner",
                              "chemprot": "bluebert-re",
                              "hoc": "bluebert-hoc"}}


def get_recipe(name: str, task: Optional[str] = None) -> Recipe:
  """The named recipe; an unknown name, or one for another task, is an error.

  A model-wide name (`bluebert-base`) given with a task resolves to that
  task's published recipe (`bluebert-ner`, ...), see PER_TASK.
  """
  if name not in RECIPES:
    raise ConfigError(f"unknown recipe {name!r}; known recipes: "
                      f"{', '.join(sorted(RECIPES))}")
  recipe = RECIPES[name]
  from biom_tf.tasks import TASK_KINDS  # pylint: disable=g-import-not-at-top
  if task and name in PER_TASK:
    specific = PER_TASK[name].get(TASK_KINDS.get(task, task))
    if specific:
      recipe = RECIPES[specific]
  if task and recipe.task not in ("any", TASK_KINDS.get(task, task)):
    raise ConfigError(f"recipe {name!r} is for task={recipe.task}, not "
                      f"task={task}")
  return recipe
