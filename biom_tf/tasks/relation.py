"""Relation classification between two marked entities (ChemProt, DDI).

Two published forms, both read from `train`, `dev`/`devel`, `test` files:

  * JSON lines `{"text", "label", "metadata"}` with the chemical in `<< >>` and
    the protein in `[[ ]]` (the SciBERT release of ChemProt, 13 labels);
  * BLUE's / BLURB's TSV `index<TAB>sentence<TAB>label` with the entities
    replaced by `@CHEMICAL$` / `@GENE$` (`@DRUG$` for DDI, `@GENE$` /
    `@DISEASE$` for GAD and EU-ADR) and a negative class (`false`,
    `DDI-false`, or `0` where the labels are `0` / `1` as in GAD / EU-ADR);
  * DDI: the DDI-2013 corpus XML with BLURB's document split (`ddi.py`).

Every example must mark its two entities (both bracket pairs, or two masks):
an example that does not is refused with its file and line.

The text goes to the encoder as it is, markers included; the [CLS] head
classifies the pair. The score is micro P/R/F1 over the positive classes: a
negative class, when the data has one, counts as "no relation" (BLUE's
evaluation); a per-class report comes with it.
"""
import re
from typing import Optional

from biom_tf.tasks import classification
from biom_tf.tasks import data
from biom_tf.tasks import metrics

_MASK = re.compile(r"@[A-Za-z_\-]+\$")
# Negative-class names of the published relation sets (compared lowercased).
_NEGATIVE_NAMES = ("false", "none", "negative", "no_relation", "other")


def count_entity_markers(text: str) -> int:
  """How many entities `text` marks: one per `<< ... >>` or `[[ ... ]]` pair
  in that order, one per `@CHEMICAL$`-style mask (two for a combined mask
  such as `@CHEM-GENE$`, where both entities are one span)."""
  count = 0
  for opening, closing in (("<<", ">>"), ("[[", "]]")):
    start = text.find(opening)
    if start >= 0 and text.find(closing, start + len(opening)) >= 0:
      count += 1
  for mask in _MASK.findall(text):
    count += 2 if "-" in mask.strip("@$") else 1
  return count


def has_entity_markers(text: str) -> bool:
  """Both entities marked: `<< >>` and `[[ ]]`, or two `@X$` masks."""
  return count_entity_markers(text) >= 2


def find_negative_label(labels) -> Optional[str]:
  """The negative class among `labels` (e.g. 'false', 'DDI-false'; '0' when
  the labels are exactly '0' and '1', as in GAD and EU-ADR), or None."""
  if set(labels) == {"0", "1"}:
    return "0"
  for label in labels:
    lowered = label.lower()
    if lowered in _NEGATIVE_NAMES or lowered.endswith("-false"):
      return label
  return None


class RelationTask(classification.ClassificationTask):
  """ChemProt / DDI: classification with micro-F1 over positive classes."""
  extensions = (".txt", ".jsonl", ".tsv", ".json")
  format_description = ("task=chemprot (JSON lines with << >> / [[ ]] markers, "
                        "or BLUE TSV with @CHEMICAL$/@GENE$ masks)")

  def __init__(self, name: str = "chemprot",
               negative_label: Optional[str] = None):
    """`negative_label`: the no-relation class; None finds it ('false',
    'DDI-false', ...), '' means every class is positive."""
    super().__init__(multilabel=False, name=name)
    self.main_metric = "f1"
    self._negative_flag = negative_label
    self.negative_label = None

  def check_example(self, example, where):
    if not has_entity_markers(example.text_a):
      found = count_entity_markers(example.text_a)
      raise data.DataError(
          f"{where}: no entity markers for both entities ({found} of 2 marked;"
          f" expected << >> and [[ ]], or two @CHEMICAL$-style masks) in "
          f"{example.text_a[:60]!r}: is this relation data?")

  def read(self, data_dir):
    splits = super().read(data_dir)
    self._resolve_negative(data_dir)
    return splits

  def _resolve_negative(self, data_dir):
    """Sets `negative_label` from the flag and the training labels."""
    if self._negative_flag is None:
      self.negative_label = find_negative_label(self.labels)
    elif self._negative_flag == "":
      self.negative_label = None
    elif self._negative_flag not in self.labels:
      raise data.DataError(
          f"{data_dir}: negative_label={self._negative_flag!r} is not a label "
          f"of the training split (labels: {', '.join(self.labels)})")
    else:
      self.negative_label = self._negative_flag

  def score(self, gold, predicted):
    return metrics.relation_scores(gold, predicted, self.negative_label)

  def label_map(self):
    return dict(super().label_map(), negative_label=self.negative_label)
