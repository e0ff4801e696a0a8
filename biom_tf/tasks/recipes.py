"""Published fine-tuning hyperparameters, as named recipes.

A recipe fills the fine-tuning flags a user did not set (`--recipe=NAME`;
flags given explicitly win). Each names its source; a value the source does
not give is the google-research/bert `run_classifier.py` default and is
listed in `defaulted`, so a reader knows what was published and what was not.
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
  source: str = ""
  defaulted: Tuple[str, ...] = ()

  def flag_values(self) -> Dict[str, object]:
    """The recipe as `run_finetuning` flag values."""
    values = {k: getattr(self, k) for k in (
        "learning_rate", "train_batch_size", "max_seq_length",
        "num_train_epochs", "warmup_proportion", "weight_decay_rate",
        "layerwise_lr_decay")}
    values["seeds"] = list(self.seeds)
    if self.doc_stride is not None:
      values["doc_stride"] = self.doc_stride
    return values


_ELECTRA_PAPER = ("Clark et al. 2020, ELECTRA, Appendix (fine-tuning details): "
                  "Adam, linear decay, 10% warmup, weight decay 0, batch 32, "
                  "layer-wise decay 0.8 (Small/Base) or 0.9 (Large), lr 3e-4 / "
                  "1e-4 / 5e-5 (Small / Base / Large); 3 epochs (10 for STS, "
                  "2 for SQuAD)")

_RECIPES = [
    Recipe("bert-default", "any", source="google-research/bert "
           "run_classifier.py defaults"),
    Recipe("biobert-ner", "ner", learning_rate=5e-5, train_batch_size=32,
           max_seq_length=192, num_train_epochs=30, warmup_proportion=0.0,
           weight_decay_rate=0.0, seeds=(1,),
           source="dmis-lab/biobert-pytorch named-entity-recognition README "
           "(max length 192, batch 32, 30 epochs, seed 1; Hugging Face "
           "Trainer defaults lr 5e-5, no warmup, no weight decay)"),
    Recipe("bluebert-base", "any", max_seq_length=128, train_batch_size=32,
           source="BlueBERT-Base fine-tuning in sy-wada/"
           "blue_benchmark_with_transformers (max length 128, batch 32)",
           defaulted=("learning_rate", "num_train_epochs",
                      "warmup_proportion", "weight_decay_rate")),
    Recipe("biom-electra-large-ner", "ner", learning_rate=7e-5,
           train_batch_size=32, max_seq_length=256, layerwise_lr_decay=0.9,
           weight_decay_rate=0.0,
           source="BioM-Transformers (Alrowili & Shanker 2021) NER setting: lr "
           "7e-5, batch 32, seq 256; ELECTRA-Large layer-wise decay 0.9 "
           "and weight decay 0 from the ELECTRA paper",
           defaulted=("num_train_epochs", "warmup_proportion")),
    Recipe("biom-electra-large-squad", "squad", learning_rate=5e-5,
           train_batch_size=8, max_seq_length=512, num_train_epochs=3,
           doc_stride=128, weight_decay_rate=0.0,
           source="sultan/BioM-ELECTRA-Large-SQuAD2-BioASQ8B model card "
           "(run_squad.py: lr 5e-5, 3 epochs, seq 512, doc stride 128, "
           "batch 8 per GPU)",
           defaulted=("warmup_proportion",)),
    Recipe("electra-small", "any", learning_rate=3e-4, layerwise_lr_decay=0.8,
           weight_decay_rate=0.0, source=_ELECTRA_PAPER),
    Recipe("electra-base", "any", learning_rate=1e-4, layerwise_lr_decay=0.8,
           weight_decay_rate=0.0, source=_ELECTRA_PAPER),
    Recipe("electra-large", "any", learning_rate=5e-5, layerwise_lr_decay=0.9,
           weight_decay_rate=0.0, source=_ELECTRA_PAPER),
    Recipe("electra-base-biosses", "biosses", learning_rate=1e-4,
           layerwise_lr_decay=0.8, weight_decay_rate=0.0, num_train_epochs=10,
           source=_ELECTRA_PAPER + " (the STS setting)"),
    Recipe("electra-large-biosses", "biosses", learning_rate=5e-5,
           layerwise_lr_decay=0.9, weight_decay_rate=0.0, num_train_epochs=10,
           source=_ELECTRA_PAPER + " (the STS setting)"),
    Recipe("blurb-seeds", "any", seeds=(1, 2, 3, 4, 5),
           source="BLURB (Gu et al. 2021) reports the mean over five seeds; "
           "other values are the BERT defaults",
           defaulted=("learning_rate", "train_batch_size", "max_seq_length",
                      "num_train_epochs", "warmup_proportion",
                      "weight_decay_rate")),
]
RECIPES = {r.name: r for r in _RECIPES}


def get_recipe(name: str, task: Optional[str] = None) -> Recipe:
  """The named recipe; an unknown name, or one for another task, is an error."""
  if name not in RECIPES:
    raise ConfigError(f"unknown recipe {name!r}; known recipes: "
                      f"{', '.join(sorted(RECIPES))}")
  recipe = RECIPES[name]
  from biom_tf.tasks import TASK_KINDS  # pylint: disable=g-import-not-at-top
  if task and recipe.task not in ("any", TASK_KINDS.get(task, task)):
    raise ConfigError(f"recipe {name!r} is for task={recipe.task}, not "
                      f"task={task}")
  return recipe
