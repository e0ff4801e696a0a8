"""Sentence similarity (BIOSSES): a regression head scored by Pearson's r.

Data, either
  * `train`, `dev`/`devel`, `test` TSV files with a header naming `sentence1`,
    `sentence2` and `score` (BLUE's split of BIOSSES), or
  * a single TSV file (`biosses_pairs.tsv`: `id sentence1 sentence2 a1..a5
    mean`), evaluated by k-fold cross-validation: 100 pairs are too few for a
    fixed split. Fold f tests on part f, selects on part f+1 and trains on
    the rest; each pair is predicted once as test and once as devel data,
    and the scores are computed over the pooled predictions.
"""
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf

from biom_tf.tasks import base
from biom_tf.tasks import classification
from biom_tf.tasks import data
from biom_tf.tasks import metrics


class SimilarityTask(base.Task):
  """Regression on sentence pairs; k-fold when the data is one file."""
  name = "biosses"
  head = "regression"
  main_metric = "pearson"

  def __init__(self, num_folds: int = 10, fold_seed: int = 0):
    super().__init__()
    if num_folds < 3:
      raise ValueError(f"num_folds={num_folds}: need at least 3 (train, devel "
                       "and test parts)")
    self.num_folds = num_folds
    self.fold_seed = fold_seed
    self.labels = ["score"]

  def check_example(self, example, where):
    if example.text_b is None:
      raise data.DataError(f"{where}: a sentence pair is needed (sentence1 and "
                           "sentence2 columns) for task=biosses")

  def _read(self, path):
    return classification.read_text_examples(path, "float", self.check_example)

  def read(self, data_dir: str) -> Dict[str, list]:
    extensions = (".tsv", ".jsonl")
    if data.find_split_file(data_dir, "train", extensions):
      files = data.split_files(data_dir, extensions, "task=biosses")
      return {split: self._read(path) for split, path in files.items()}
    if not tf.io.gfile.isdir(data_dir):
      raise data.DataError(f"{data_dir}: data directory not found")
    tables = sorted(n for n in tf.io.gfile.listdir(data_dir)
                    if n.endswith(extensions))
    if len(tables) != 1:
      raise data.DataError(
          f"{data_dir}: expected train/dev/test TSV files or exactly one TSV "
          f"of sentence pairs for k-fold evaluation, found {tables or 'none'}")
    examples = self._read(f"{data_dir.rstrip('/')}/{tables[0]}")
    if len(examples) < self.num_folds:
      raise data.DataError(f"{data_dir}/{tables[0]}: {len(examples)} pairs, "
                           f"fewer than num_folds={self.num_folds}")
    return {"all": examples}

  def folds(self, splits):
    if "all" not in splits:
      return [splits]
    examples = splits["all"]
    order = np.random.RandomState(self.fold_seed).permutation(len(examples))
    parts = [[examples[i] for i in sorted(order[f::self.num_folds])]
             for f in range(self.num_folds)]
    folds = []
    for f in range(self.num_folds):
      devel = (f + 1) % self.num_folds
      train = [e for g, part in enumerate(parts) if g not in (f, devel)
               for e in part]
      folds.append({"train": train, "devel": parts[devel], "test": parts[f]})
    return folds

  @property
  def num_outputs(self) -> int:
    return 1

  def encode(self, examples, tokenizer, max_seq_length, training):
    input_ids, type_ids = base.encode_texts(
        tokenizer, [e.text_a for e in examples], [e.text_b for e in examples],
        max_seq_length)
    labels = np.array([e.label for e in examples], dtype=np.float32)
    return base.Encoded(input_ids, type_ids, labels, None, tokenizer.pad_id)

  def evaluate(self, examples, encoded, outputs) -> Tuple[dict, List[dict]]:
    predicted = [float(np.asarray(o).reshape(-1)[0]) for o in outputs]
    scores = metrics.similarity_scores([e.label for e in examples], predicted)
    predictions = [{"id": e.guid, "gold": e.label, "predicted": p}
                   for e, p in zip(examples, predicted)]
    return scores, predictions
