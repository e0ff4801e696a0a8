"""Windows over long sentences, max-context stitching, and NER encoding."""
import random

import biom_tf  # noqa: F401
import numpy as np
import pytest

from biom_tf.tasks import metrics
from biom_tf.tasks import ner
from biom_tf.tasks import windowing


def _check_windows(counts, max_tokens, windows):
  assert windows[0][0] == 0 and windows[-1][1] == len(counts)
  for (s0, e0), (s1, e1) in zip(windows, windows[1:]):
    assert s0 < s1 <= e0 < e1  # moves on, no gap
  for s, e in windows:
    assert s < e and sum(counts[s:e]) <= max_tokens


def test_make_windows_fits_in_one():
  assert windowing.make_windows([1, 2, 3], max_tokens=6, stride=3) == [(0, 3)]


def test_make_windows_hand_case():
  # 8 one-subword words, windows of 4 advancing by 2: 0-4, 2-6, 4-8.
  assert windowing.make_windows([1] * 8, 4, 2) == [(0, 4), (2, 6), (4, 8)]
  # Multi-subword words, offsets 0 2 4 5 8 9: words 0-2 fill 5 subwords; the
  # next window starts at the first word >= 3 subwords on (word 2).
  assert windowing.make_windows([2, 2, 1, 3, 1], 5, 3) == [(0, 3), (2, 5)]
  # A stride too small to reach the next word still makes progress.
  assert windowing.make_windows([3, 3, 3], 4, 1) == [(0, 1), (1, 2), (2, 3)]


def test_make_windows_random_properties():
  rng = random.Random(0)
  for _ in range(200):
    max_tokens = rng.randint(1, 20)
    counts = [rng.randint(1, max_tokens) for _ in range(rng.randint(1, 60))]
    stride = rng.randint(1, max_tokens)
    _check_windows(counts, max_tokens,
                   windowing.make_windows(counts, max_tokens, stride))


def test_make_windows_rejects_oversized_word():
  with pytest.raises(ValueError, match="word 1 has 9 subwords"):
    windowing.make_windows([1, 9], 8, 4)


def test_assign_words_prefers_most_context():
  owner = windowing.assign_words([(0, 4), (2, 6)], 6)
  # Word 2: min(2, 1) in the first window beats min(0, 3); word 3 the reverse.
  assert owner == [0, 0, 0, 1, 1, 1]


def _long_sentence(n_words=70, seed=0):
  rng = random.Random(seed)
  entities = [[("breast", "B-Disease"), ("cancer", "I-Disease")],
              [("carcinoma", "B-Disease")],
              [("colon", "B-Disease"), ("tumors", "I-Disease")],
              [("diabetes", "S-Disease")]]
  filler = ["the", "patient", "had", "with", "mild", "severe", "cells", ","]
  tokens = []
  while len(tokens) < n_words:
    if rng.random() < 0.3:
      tokens += rng.choice(entities)
    else:
      tokens.append((rng.choice(filler), "O"))
  return ner.Sentence([w for w, _ in tokens], [t for _, t in tokens])


def test_long_sentence_entities_all_recovered(tokenizer):
  sentence = _long_sentence()
  task = ner.NerTask()
  task.labels = ner.label_list([sentence])
  max_seq_length = 16
  encoded = task.encode([sentence], tokenizer, max_seq_length, training=False)
  subwords = sum(len(tokenizer.tokenize(w)) for w in sentence.words)
  assert subwords > 3 * (max_seq_length - 2)  # really needs windows
  assert len(encoded) > 3
  for ids, labels in zip(encoded.input_ids, encoded.labels):
    assert len(ids) <= max_seq_length
    assert ids[0] == tokenizer.cls_id and ids[-1] == tokenizer.sep_id
    assert len(labels) == len(ids)
  # An imperfect oracle: right on every word except those at a window's cut
  # edge (too little context), where it says O. Max-context stitching must
  # take each word from a window where it is interior.
  rng = np.random.RandomState(0)
  outputs = []
  for (index, start, end, positions), labels in zip(encoded.meta,
                                                    encoded.labels):
    logits = rng.rand(len(labels), len(task.labels)).astype(np.float32)
    for k, position in enumerate(positions):
      word = start + k
      at_cut = (word == start and start > 0) or (
          word == end - 1 and end < len(sentence.words))
      label = 0 if at_cut else labels[position]
      logits[position, label] = 10.0
    outputs.append(logits)
  scores, predictions = task.evaluate([sentence], encoded, outputs)
  assert predictions[0]["predicted"] == sentence.tags
  assert scores["f1"] == 1.0
  assert scores["num_gold"] == len(metrics.extract_entities(sentence.tags)) > 5


def test_first_subword_labelling(tokenizer):
  sentence = ner.Sentence(["the", "carcinoma", "cells"],
                          ["O", "B-Disease", "O"])
  task = ner.NerTask()
  task.labels = ["O", "B-Disease"]
  encoded = task.encode([sentence], tokenizer, 32, training=True)
  tokens = tokenizer.convert_ids_to_tokens(encoded.input_ids[0].tolist())
  assert tokens == ["[CLS]", "the", "carcin", "##oma", "cells", "[SEP]"]
  assert encoded.labels[0].tolist() == [-1, 0, 1, -1, 0, -1]


def test_word_the_tokenizer_drops_keeps_a_position(tokenizer):
  sentence = ner.Sentence(["the", "\u200b", "cancer"], ["O", "O", "B-D"])
  task = ner.NerTask()
  task.labels = ["O", "B-D"]
  encoded = task.encode([sentence], tokenizer, 32, training=False)
  assert encoded.meta[0][3] == [1, 2, 3]
  assert encoded.input_ids[0][2] == tokenizer.unk_id
