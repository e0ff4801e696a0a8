"""Named-entity recognition on CoNLL-style `token<TAB>tag` files.

The layout of cambridgeltl/MTL-Bioinformatics-2016 (NCBI-disease, BC5CDR, ...)
as BioBERT distributes it: `train.tsv`, `devel.tsv`, `test.tsv`, one token
and its tag per line, a blank line between sentences. Tags are BIO or BIOES
(`O`, `B-Disease`, `I-Disease`, `E-..`, `S-..`; typeless `B`/`I` too); the
label set is read from the training split, and a devel/test tag outside it is
an error.

Each word is labelled on its first subword (the rest are ignored by the
loss); a sentence longer than `max_seq_length` becomes overlapping windows
(`windowing.py`) whose predictions are stitched back, so no word is lost.
Scores are entity-level exact match with conlleval semantics (`metrics.py`).

`train_split='train_dev'` trains on `train_dev.tsv` (BioBERT's NER protocol:
train + devel, test reported). `-DOCSTART-` lines (JNLPBA's `-DOCSTART-
<PMID>`, EBM PICO's `-DOCSTART- (<PMID>)`) are skipped; typeless `B` / `I`
tags (BLURB's JNLPBA) are one entity type.

EBM PICO (task=ebmnlp, BLURB's PICO format: `I-PAR`, `I-INT`, `I-OUT`, `O`)
is scored as BLURB defines it: macro-averaged word-level F1 over the PICO
labels (`metrics.word_level_scores`); entity-level scores come along with an
`entity_` prefix.
"""
import collections
import dataclasses
import re
from typing import Dict, List, Optional, Tuple

import numpy as np

from biom_tf.tasks import base
from biom_tf.tasks import data
from biom_tf.tasks import metrics
from biom_tf.tasks import windowing

_TAG = re.compile(r"^(O|[BIES](-\S+)?)$")
_PREFIX_ORDER = {"B": 0, "I": 1, "E": 2, "S": 3}


@dataclasses.dataclass
class Sentence:
  """One sentence: its words, their tags, and where each came from."""
  words: List[str]
  tags: List[str]
  path: str = ""
  lines: List[int] = dataclasses.field(default_factory=list)


def read_conll(path: str) -> List[Sentence]:
  """Sentences of a `token<TAB>tag` file (blank line between sentences).

  A line with more than two tab-separated columns takes its first as the token
  and its last as the tag (CoNLL's extra columns); `-DOCSTART-` lines are
  skipped.
  """
  sentences = []
  words, tags, lines = [], [], []
  for number, line in enumerate(data.read_lines(path) + [""], start=1):
    if not line.strip():
      if words:
        sentences.append(Sentence(words, tags, path, lines))
        words, tags, lines = [], [], []
      continue
    fields = line.split("\t")
    if len(fields) < 2:
      fields = line.split()
    if len(fields) < 2 or not fields[0].strip():
      raise data.DataError(
          f"{path}:{number}: expected 'token<TAB>tag', got {line!r}")
    token, tag = fields[0].strip(), fields[-1].strip()
    if token == "-DOCSTART-":
      continue
    if not _TAG.match(tag):
      raise data.DataError(
          f"{path}:{number}: tag {tag!r} is not BIO/BIOES (expected O, B-TYPE, "
          "I-TYPE, E-TYPE or S-TYPE)")
    words.append(token)
    tags.append(tag)
    lines.append(number)
  return data.require_examples(sentences, path, "sentences")


def label_list(sentences: List[Sentence]) -> List[str]:
  """'O' first, then by entity type and B, I, E, S."""
  tags = {t for s in sentences for t in s.tags} - {"O"}
  ordered = sorted(tags, key=lambda t: (metrics.split_tag(t)[1],
                                        _PREFIX_ORDER[t[0]]))
  return ["O"] + ordered


class NerTask(base.Task):
  """Token classification with first-subword labels and window stitching."""
  name = "ner"
  head = "token"
  main_metric = "f1"

  def __init__(self, window_stride: Optional[int] = None,
               train_split: str = "train"):
    """`window_stride`: subwords between window starts (default: half a
    window); `train_split`: 'train' or 'train_dev' (the training file)."""
    super().__init__()
    self.window_stride = window_stride
    self.train_split = data.check_train_split(train_split)

  def read(self, data_dir: str) -> Dict[str, List[Sentence]]:
    files = data.split_files(
        data_dir, (".tsv", ".txt", ".conll", ".iob"),
        f"task={self.name} ('token<TAB>tag' lines, blank line between "
        "sentences)", train_split=self.train_split)
    splits = {split: read_conll(path) for split, path in files.items()}
    self.labels = label_list(splits["train"])
    known = set(self.labels)
    for split in ("devel", "test"):
      for sentence in splits[split]:
        for tag, number in zip(sentence.tags, sentence.lines):
          if tag not in known:
            raise data.DataError(
                f"{sentence.path}:{number}: tag {tag!r} does not occur in the "
                f"training split {files['train']} (labels: "
                f"{', '.join(self.labels)})")
    return splits

  def encode(self, sentences: List[Sentence], tokenizer, max_seq_length: int,
             training: bool) -> base.Encoded:
    """One row per window: [CLS] subwords [SEP]; labels on first subwords.

    `meta` is one (sentence index, first word, end word, positions) per row,
    positions[k] being the row position of word first+k's first subword.
    """
    max_tokens = max_seq_length - 2
    stride = self.window_stride or max(1, max_tokens // 2)
    vocabulary = sorted({w for s in sentences for w in s.words})
    word_ids = {}
    for word, pieces in zip(vocabulary, tokenizer.tokenize_batch(vocabulary)):
      # A word the tokenizer drops entirely (a control character) still needs
      # a position to carry its label.
      ids = tokenizer.convert_tokens_to_ids(pieces) or [tokenizer.unk_id]
      word_ids[word] = ids[:max_tokens]
    label_index = {label: i for i, label in enumerate(self.labels)}
    input_ids, labels, meta = [], [], []
    for index, sentence in enumerate(sentences):
      pieces = [word_ids[w] for w in sentence.words]
      for start, end in windowing.make_windows(
          [len(p) for p in pieces], max_tokens, stride):
        ids, row_labels, positions = [tokenizer.cls_id], [-1], []
        for i in range(start, end):
          positions.append(len(ids))
          ids.extend(pieces[i])
          row_labels.extend([label_index.get(sentence.tags[i], -1)] +
                            [-1] * (len(pieces[i]) - 1))
        ids.append(tokenizer.sep_id)
        row_labels.append(-1)
        input_ids.append(np.array(ids, dtype=np.int32))
        labels.append(np.array(row_labels, dtype=np.int32))
        meta.append((index, start, end, positions))
    type_ids = [np.zeros_like(ids) for ids in input_ids]
    return base.Encoded(input_ids, type_ids, labels, meta, tokenizer.pad_id)

  def predict_tags(self, sentences: List[Sentence], encoded: base.Encoded,
                   outputs: list) -> List[List[str]]:
    """Each word's tag: argmax at its first subword, in its best window."""
    rows_of = collections.defaultdict(list)
    for row, (index, _, _, _) in enumerate(encoded.meta):
      rows_of[index].append(row)
    predicted = []
    for index, sentence in enumerate(sentences):
      rows = rows_of[index]
      windows = [encoded.meta[r][1:3] for r in rows]
      owner = windowing.assign_words(windows, len(sentence.words))
      tags = []
      for i in range(len(sentence.words)):
        row = rows[owner[i]]
        _, start, _, positions = encoded.meta[row]
        logits = outputs[row][positions[i - start]]
        tags.append(self.labels[int(np.argmax(logits))])
      predicted.append(tags)
    return predicted

  def evaluate(self, sentences, encoded, outputs) -> Tuple[dict, List[dict]]:
    predicted = self.predict_tags(sentences, encoded, outputs)
    scores = metrics.entity_scores([s.tags for s in sentences], predicted)
    predictions = [{"tokens": s.words, "gold": s.tags, "predicted": p}
                   for s, p in zip(sentences, predicted)]
    return scores, predictions

  def format_predictions(self, predictions: List[dict]) -> Tuple[str, str]:
    """conlleval's input: 'token gold predicted' lines, blank between
    sentences."""
    lines = []
    for p in predictions:
      lines += [f"{w} {g} {t}" for w, g, t in
                zip(p["tokens"], p["gold"], p["predicted"])]
      lines.append("")
    return ".txt", "\n".join(lines)


class PicoTask(NerTask):
  """EBM PICO: token tags scored by macro word-level F1 (BLURB)."""
  name = "ebmnlp"
  main_metric = "macro_f1"

  def evaluate(self, sentences, encoded, outputs) -> Tuple[dict, List[dict]]:
    entity, predictions = super().evaluate(sentences, encoded, outputs)
    types = sorted({metrics.split_tag(l)[1] for l in self.labels if l != "O"})
    scores = metrics.word_level_scores([s.tags for s in sentences],
                                       [p["predicted"] for p in predictions],
                                       labels=types)
    scores.update({"entity_" + k: v for k, v in entity.items()})
    return scores, predictions
