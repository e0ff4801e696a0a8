"""Real PubMed pretraining records for the training tests, built once.

The vocabulary is deliberately tiny (special tokens, every ASCII character
as a word start and as `##` continuation, the 300 most frequent lowercased
words), so that a 32-wide model learns something in a hundred steps. It is
built here rather than with tfrecords' vocabulary learner so that these tests
exercise only the record writer and the trainer.
"""
import collections
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.conftest import shared_path

SEQ, PREDICTIONS = 32, 5


def build_small_vocab(corpus_path, out_path, num_words=300):
  words, chars = collections.Counter(), set()
  with open(corpus_path, encoding="utf-8") as f:
    for line in f:
      for word in re.findall(r"\w+|[^\w\s]", line.lower()):
        words[word] += 1
        chars.update(word)
  chars = sorted(c for c in chars if ord(c) < 128)
  tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
  tokens += chars + ["##" + c for c in chars]
  known = set(tokens)
  tokens += [w for w, _ in words.most_common() if w not in known][:num_words]
  with open(out_path, "w", encoding="utf-8") as f:
    f.write("\n".join(tokens) + "\n")
  return len(tokens)


@pytest.fixture(scope="session")
def pubmed_records(tmp_path_factory):
  """dict(vocab_file, vocab_size, bert, electra, electra_unmasked): record
  paths, sequence 32, 5 predictions (the unmasked ELECTRA records are what
  the original ELECTRA writes: no masked_lm_* features)."""
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  corpus = shared_path("data", "corpus", "pubmed_ncbi_disease.txt")
  root = tmp_path_factory.mktemp("pubmed")
  vocab = str(root / "vocab.txt")
  out = dict(vocab_file=vocab, vocab_size=build_small_vocab(corpus, vocab))
  for name, family, masks in (("bert", "bert", True),
                              ("electra", "electra", True),
                              ("electra_unmasked", "electra", False)):
    path = str(root / f"{name}.tfrecord")
    pipeline.create_pretraining_data(
        corpus, path, vocab_file=vocab, progress=None,
        options=pipeline.DataOptions(
            model_family=family, max_seq_length=SEQ,
            max_predictions_per_seq=PREDICTIONS, dupe_factor=1,
            electra_offline_masks=masks))
    out[name] = path
  return out


def tiny_config(family, vocab_size, **overrides):
  from biom_tf.configs import ModelConfig  # pylint: disable=g-import-not-at-top
  values = dict(family=family, vocab_size=vocab_size, hidden_size=32,
                num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=SEQ,
                embedding_size=None if family == "bert" else 16)
  if family == "electra":
    # Generator width 16, not ELECTRA's 1/4 (8): XLA on CPU takes ~40 s to
    # compile the width-8 matmuls, against ~5 s for width 16.
    values["generator_hidden_size"] = 0.5
  values.update(overrides)
  return ModelConfig(**values)


def run_module(module, *args, env=None, timeout=240):
  """`python -m module args` from the repository root; returns the process."""
  return subprocess.run(
      [sys.executable, "-m", module, *args], cwd=REPO_ROOT,
      capture_output=True, text=True, timeout=timeout,
      env=dict(os.environ, PYTHONPATH=REPO_ROOT, **(env or {})))
