"""Biomedical fine-tuning tasks (BLUE / BLURB): readers, encoding, metrics.

`get_task(name, **options)` returns a `Task` (see `base.py`):

  ner                        token<TAB>tag files (NCBI-disease, BC5CDR, ...)
  chemprot, ddi, relation    relation classification, micro-F1 w/o negatives
  biosses, similarity        sentence-pair regression, Pearson, k-fold
  classification             single-label text classification
  hoc, multilabel            multi-label classification (sigmoid)
  pubmedqa                   question + abstract → yes / no / maybe
  squad, bioasq              extractive QA in SQuAD v1.1 / v2.0 JSON
"""
from typing import Optional

from biom_tf.tasks.base import Encoded
from biom_tf.tasks.base import Task
from biom_tf.tasks.classification import ClassificationTask
from biom_tf.tasks.data import DataError
from biom_tf.tasks.ner import NerTask
from biom_tf.tasks.qa import ExtractiveQATask
from biom_tf.tasks.qa import PubMedQATask
from biom_tf.tasks.relation import RelationTask
from biom_tf.tasks.similarity import SimilarityTask

# Task name → the kind of recipe that applies to it.
TASK_KINDS = {
    "ner": "ner", "chemprot": "chemprot", "ddi": "chemprot",
    "relation": "chemprot", "biosses": "biosses", "similarity": "biosses",
    "classification": "classification", "hoc": "hoc", "multilabel": "hoc",
    "pubmedqa": "pubmedqa", "squad": "squad", "bioasq": "squad",
}
TASK_NAMES = tuple(sorted(TASK_KINDS))


def get_task(name: str, window_stride: Optional[int] = None,
             negative_label: Optional[str] = None, num_folds: int = 10,
             doc_stride: int = 128, max_query_length: int = 64) -> Task:
  """A fresh task object by name; options apply to the tasks that use them.

  Args:
    name: one of TASK_NAMES.
    window_stride: NER, subwords between window starts (default half a window).
    negative_label: relations, the no-relation class (None: detect; '': none).
    num_folds: similarity, k of the k-fold evaluation of a single-file set.
    doc_stride, max_query_length: extractive QA windows (BERT's defaults).
  """
  if name == "ner":
    return NerTask(window_stride=window_stride)
  if name in ("chemprot", "ddi", "relation"):
    return RelationTask(name=name, negative_label=negative_label)
  if name in ("biosses", "similarity"):
    return SimilarityTask(num_folds=num_folds)
  if name == "classification":
    return ClassificationTask(multilabel=False)
  if name in ("hoc", "multilabel"):
    return ClassificationTask(multilabel=True, name=name)
  if name == "pubmedqa":
    return PubMedQATask()
  if name in ("squad", "bioasq"):
    return ExtractiveQATask(doc_stride=doc_stride,
                            max_query_length=max_query_length, name=name)
  raise DataError(f"unknown task {name!r}; expected one of "
                  f"{', '.join(TASK_NAMES)}")
