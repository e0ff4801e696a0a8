"""DDI-2013 drug–drug interactions from the corpus XML, in BLURB's split.

Layout (the corpus as its authors release it, plus BLURB's split lists):

  DDICorpus/Train/{DrugBank,MedLine}/*.xml
  DDICorpus/Test/Test for DDI Extraction task/{DrugBank,MedLine}/*.xml
  blurb-split/{train,dev,test}_files.tsv   one path a line, `train_dataset/`
                                           for Train/, `test_dataset/` for
                                           the DDI-extraction test set

Each `<pair>` of a `<sentence>` is one example: the sentence with its two
drugs replaced by `@DRUG$` (one `@DRUG-DRUG$` where their spans overlap; the
first span of a discontinuous `charOffset` 'a-b;c-d' is used), as BLUE's
create_ddi_bert.py builds its TSV and BLURB masks DDI; the label is
`DDI-<type>` (mechanism, effect, advise, int) or `DDI-false`. The one train
pair marked ddi="true" without a type is `DDI-false` here: it is none of the
four types BLURB scores. The score is micro-F1 over the four types.
"""
import os
import re
import xml.etree.ElementTree as ElementTree
from typing import Dict, List

import tensorflow as tf

from biom_tf.tasks import classification
from biom_tf.tasks import data
from biom_tf.tasks import relation

_OFFSET = re.compile(r"^(\d+)-(\d+)")
_PREFIXES = {"train_dataset/": os.path.join("DDICorpus", "Train"),
             "test_dataset/": os.path.join("DDICorpus", "Test",
                                           "Test for DDI Extraction task")}
DDI_NEGATIVE = "DDI-false"


def is_ddi_corpus(data_dir: str) -> bool:
  return (tf.io.gfile.isdir(os.path.join(data_dir, "DDICorpus")) and
          tf.io.gfile.isdir(os.path.join(data_dir, "blurb-split")))


def mask_pair(text: str, span1, span2) -> str:
  """`text` with the two [start, end) spans replaced by @DRUG$ (one
  @DRUG-DRUG$ if they overlap)."""
  (s1, e1), (s2, e2) = sorted([span1, span2])
  if s2 <= e1:  # overlapping (or touching) spans: one mask over both
    return text[:s1] + "@DRUG-DRUG$" + text[max(e1, e2):]
  return text[:s1] + "@DRUG$" + text[e1:s2] + "@DRUG$" + text[e2:]


def read_ddi_document(path: str) -> List[classification.TextExample]:
  """The pair examples of one DDI XML document."""
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      root = ElementTree.fromstring(f.read())
  except ElementTree.ParseError as e:
    raise data.DataError(f"{path}:{e.position[0]}: not valid XML ({e})"
                         ) from None
  examples = []
  for sentence in root.iter("sentence"):
    text = sentence.get("text", "")
    spans = {}
    for entity in sentence.findall("entity"):
      match = _OFFSET.match(entity.get("charOffset", ""))
      if match is None:
        raise data.DataError(f"{path}: entity {entity.get('id')}: charOffset "
                             f"{entity.get('charOffset')!r} is not 'a-b'")
      spans[entity.get("id")] = (int(match.group(1)), int(match.group(2)) + 1)
    for pair in sentence.findall("pair"):
      e1, e2 = pair.get("e1"), pair.get("e2")
      if e1 not in spans or e2 not in spans:
        raise data.DataError(f"{path}: pair {pair.get('id')} names an entity "
                             f"that its sentence does not have ({e1}, {e2})")
      kind = pair.get("type")
      label = (f"DDI-{kind}" if pair.get("ddi") == "true" and kind
               else DDI_NEGATIVE)
      examples.append(classification.TextExample(
          pair.get("id"), mask_pair(text, spans[e1], spans[e2]), None, label,
          path, 0))
  return examples


def read_ddi_corpus(data_dir: str
                    ) -> Dict[str, List[classification.TextExample]]:
  """train / devel / test pair examples by BLURB's document split."""
  splits = {}
  for split, stem in (("train", "train"), ("devel", "dev"), ("test", "test")):
    list_path = os.path.join(data_dir, "blurb-split", f"{stem}_files.tsv")
    examples = []
    for number, line in enumerate(data.read_lines(list_path), start=1):
      name = line.strip()
      if not name:
        continue
      prefix = next((p for p in _PREFIXES if name.startswith(p)), None)
      if prefix is None:
        raise data.DataError(f"{list_path}:{number}: {name!r} starts with "
                             f"neither {' nor '.join(_PREFIXES)}")
      path = os.path.join(data_dir, _PREFIXES[prefix], name[len(prefix):])
      if not tf.io.gfile.exists(path):
        raise data.DataError(f"{list_path}:{number}: {path}: file not found")
      examples.extend(read_ddi_document(path))
    splits[split] = data.require_examples(examples, list_path, "drug pairs")
  return splits


class DdiTask(relation.RelationTask):
  """DDI: BLUE/BLURB TSV (relation.RelationTask) or the corpus XML."""

  def __init__(self, name: str = "ddi", negative_label=None):
    super().__init__(name=name, negative_label=negative_label)

  def read(self, data_dir):
    if not is_ddi_corpus(data_dir):
      return super().read(data_dir)
    splits = read_ddi_corpus(data_dir)
    self.labels = sorted({e.label for e in splits["train"]})
    classification.check_known_labels(
        splits["devel"] + splits["test"], self.labels, data_dir)
    self._resolve_negative(data_dir)
    return splits
