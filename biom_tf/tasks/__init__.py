"""Biomedical fine-tuning tasks (BLUE / BLURB): readers, encoding, metrics.

`get_task(name, **options)` returns a `Task` (see `base.py`):

  ner                        token<TAB>tag files (NCBI-disease, BC5CDR, BC2GM,
                             JNLPBA, ...); entity-level F1
  pico, ebmnlp               EBM PICO (I-PAR / I-INT / I-OUT); macro
                             word-level F1 (BLURB)
  chemprot, relation         relation classification, micro-F1 w/o negatives
  ddi                        the same, also from the DDI-2013 XML + BLURB split
  gad, euadr                 binary relations (labels 0 / 1, 0 = none): F1 of
                             the relations
  biosses, similarity        sentence-pair regression, Pearson, k-fold
  classification             single-label text classification
  hoc                        HoC: 10 hallmarks, scored per abstract (BLURB)
  multilabel                 multi-label classification (sigmoid)
  pubmedqa                   question + abstract → yes / no / maybe, official
                             pqal_fold0 split
  bioasq_yesno               BioASQ yes / no (BLURB); accuracy
  squad                      extractive QA in SQuAD v1.1 / v2.0 JSON
  bioasq                     BioASQ factoid in BioBERT's SQuAD form: strict /
                             lenient accuracy and MRR per question
  bioasq_list                BioASQ list questions: mean P / R / F1
"""
from typing import Optional

from biom_tf.tasks import reuse
from biom_tf.tasks.base import Encoded
from biom_tf.tasks.base import Task
from biom_tf.tasks.classification import ClassificationTask
from biom_tf.tasks.classification import HocTask
from biom_tf.tasks.data import DataError
from biom_tf.tasks.ddi import DdiTask
from biom_tf.tasks.ner import NerTask
from biom_tf.tasks.ner import PicoTask
from biom_tf.tasks.qa import BioasqFactoidTask
from biom_tf.tasks.qa import BioasqYesNoTask
from biom_tf.tasks.qa import ExtractiveQATask
from biom_tf.tasks.qa import PubMedQATask
from biom_tf.tasks.relation import RelationTask
from biom_tf.tasks.similarity import SimilarityTask

# Task name → the kind of recipe that applies to it.
TASK_KINDS = {
    "ner": "ner", "pico": "pico", "ebmnlp": "pico",
    "chemprot": "chemprot", "ddi": "chemprot", "relation": "chemprot",
    "gad": "gad", "euadr": "gad",
    "biosses": "biosses", "similarity": "biosses",
    "classification": "classification", "hoc": "hoc", "multilabel": "hoc",
    "pubmedqa": "pubmedqa", "bioasq_yesno": "bioasq_yesno",
    "squad": "squad", "bioasq": "squad", "bioasq_list": "squad",
}
TASK_NAMES = tuple(sorted(TASK_KINDS))


def get_task(name: str, window_stride: Optional[int] = None,
             negative_label: Optional[str] = None, num_folds: int = 10,
             doc_stride: int = 128, max_query_length: int = 64,
             train_split: str = "train", pubmedqa_fold: int = 0) -> Task:
  """A fresh task object by name (inside `reuse.shared_tasks()`, one per set
  of arguments, reading and encoding once); options apply to the tasks that
  use them.

  Args:
    name: one of TASK_NAMES.
    window_stride: NER, subwords between window starts (default half a window).
    negative_label: relations, the no-relation class (None: detect; '': none).
    num_folds: similarity, k of the k-fold evaluation of a single-file set.
    doc_stride, max_query_length: extractive QA windows (BERT's defaults).
    train_split: NER, the training file: 'train' or 'train_dev' (BioBERT's
      protocol: train on train_dev.tsv, report test).
    pubmedqa_fold: PubMedQA, which official pqal_fold (BLURB: 0).
  """
  if train_split != "train" and name not in ("ner", "pico", "ebmnlp"):
    raise DataError(f"train_split={train_split!r} applies to the NER tasks "
                    f"(ner, pico), not task={name}")
  options = (name, window_stride, negative_label, num_folds, doc_stride,
             max_query_length, train_split, pubmedqa_fold)
  return reuse.task_for(options, lambda: _new_task(*options))


def _new_task(name, window_stride, negative_label, num_folds, doc_stride,
              max_query_length, train_split, pubmedqa_fold) -> Task:
  if name in ("ner", "pico", "ebmnlp"):
    cls = NerTask if name == "ner" else PicoTask
    task = cls(window_stride=window_stride, train_split=train_split)
    task.name = name
    return task
  if name in ("chemprot", "relation", "gad", "euadr"):
    return RelationTask(name=name, negative_label=negative_label)
  if name == "ddi":
    return DdiTask(name=name, negative_label=negative_label)
  if name in ("biosses", "similarity"):
    return SimilarityTask(num_folds=num_folds)
  if name == "classification":
    return ClassificationTask(multilabel=False)
  if name == "hoc":
    return HocTask()
  if name == "multilabel":
    return ClassificationTask(multilabel=True, name=name)
  if name == "pubmedqa":
    return PubMedQATask(fold=pubmedqa_fold)
  if name == "bioasq_yesno":
    return BioasqYesNoTask()
  if name == "squad":
    return ExtractiveQATask(doc_stride=doc_stride,
                            max_query_length=max_query_length, name=name)
  if name in ("bioasq", "bioasq_list"):
    return BioasqFactoidTask(
        doc_stride=doc_stride, max_query_length=max_query_length, name=name,
        question_type="factoid" if name == "bioasq" else "list")
  raise DataError(f"unknown task {name!r}; expected one of "
                  f"{', '.join(TASK_NAMES)}")
