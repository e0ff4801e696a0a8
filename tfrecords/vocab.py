"""Vocabulary learning from corpus shards: WordPiece and SentencePiece.

  * WordPiece (BERT, ELECTRA, LitBERT): words are counted with
    tensorflow_text's `BasicTokenizer` (BERT's split on white space and
    punctuation; lower-cased and accent-stripped for an uncased vocabulary)
    and the vocabulary is learned by tensorflow_text's WordPiece learner
    (`wordpiece_tokenizer_learner_lib.learn`). The file starts like Google's
    BERT vocabularies: `[PAD]`, `[unused0]`..`[unusedN-1]`, `[UNK]`, `[CLS]`,
    `[SEP]`, `[MASK]`, then single characters and learned pieces.
  * SentencePiece (ALBERT): `sentencepiece`'s trainer with the options the
    ALBERT authors published for their 30k-clean model (unigram, pad_id=0,
    unk_id=1, no bos/eos, control symbols [CLS] [SEP] [MASK], user-defined
    symbols ( ) ” - . – £ €, character coverage 0.99995, shuffled input
    sentences).

Both read the corpus as create_pretraining_data does (tfrecords.corpus) and
write their outputs under temporary names, renamed when complete.
"""
import collections
import dataclasses
import io
import itertools
from typing import Optional, Sequence, Union

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import sentencepiece as spm
import tensorflow as tf
from tensorflow_text.tools.wordpiece_vocab import (
    wordpiece_tokenizer_learner_lib as wordpiece_learner)
from tensorflow_text.python.ops import bert_tokenizer

from biom_tf import fileio
from biom_tf import tokenization
from tfrecords import corpus
from tfrecords import writer

BERT_SPECIAL_TOKENS = ("[UNK]", "[CLS]", "[SEP]", "[MASK]")
ALBERT_CONTROL_SYMBOLS = ("[CLS]", "[SEP]", "[MASK]")
ALBERT_USER_SYMBOLS = ("(", ")", "\u201d", "-", ".", "\u2013", "\u00a3",
                       "\u20ac")
_BATCH = 4096


class VocabError(ValueError):
  """A vocabulary that cannot be learned as asked; names the flag."""


@dataclasses.dataclass
class VocabSummary:
  outputs: list
  vocab_size: int
  sentences: int
  distinct_words: int = 0


def reserved_tokens(num_unused: int):
  """[PAD], [unused0..N-1], [UNK], [CLS], [SEP], [MASK] (BERT's order)."""
  return (["[PAD]"] + [f"[unused{i}]" for i in range(num_unused)] +
          list(BERT_SPECIAL_TOKENS))


def count_words(input_patterns, do_lower_case: bool = True,
                max_sentences: Optional[int] = None,
                invalid_utf8: str = "fail"):
  """Word counts of the corpus, split as BERT's basic tokenizer does.

  Returns (collections.Counter of str words, number of sentences read).
  """
  paths = corpus.expand_patterns(input_patterns)
  basic = bert_tokenizer.BasicTokenizer(lower_case=do_lower_case)
  split = tf.function(basic.tokenize,
                      input_signature=[tf.TensorSpec([None], tf.string)])
  counts = collections.Counter()
  lines = corpus.iter_sentences(paths, invalid_utf8)
  if max_sentences:
    lines = itertools.islice(lines, max_sentences)
  total = 0
  while True:
    batch = list(itertools.islice(lines, _BATCH))
    if not batch:
      break
    total += len(batch)
    counts.update(split(tf.constant(batch)).flat_values.numpy().tolist())
  # The basic tokenizer keeps a few separators Python counts as white space
  # (U+2029 PARAGRAPH SEPARATOR, U+0085, ...) as words of their own; a
  # vocab.txt line cannot hold them, so they are left to [UNK].
  words = ((word.decode("utf-8"), n) for word, n in counts.items())
  return collections.Counter(
      {word: n for word, n in words if word and word == word.strip()}), total


def learn_wordpiece_vocab(input_patterns: Union[str, Sequence[str]],
                          output_file: str, vocab_size: int = 30522,
                          do_lower_case: bool = True, num_unused: int = 100,
                          max_sentences: Optional[int] = None,
                          invalid_utf8: str = "fail",
                          overwrite: bool = False) -> VocabSummary:
  """Learns a WordPiece vocab.txt from corpus shards.

  Args:
    input_patterns: comma-separated globs (or a list) of text shards.
    output_file: the vocab.txt to write (one token per line).
    vocab_size: the largest size, reserved tokens included (the learner
      lands within 5% below it).
    do_lower_case: an uncased vocabulary (lower-cased, accents stripped).
    num_unused: `[unusedN]` entries to reserve (for domain tokens later).
    max_sentences: read at most this many sentences (None: all).
    overwrite: replace an existing `output_file` (else an OutputError).

  Returns:
    VocabSummary.
  """
  if not overwrite:
    writer.refuse_existing([output_file])
  reserved = reserved_tokens(num_unused)
  if vocab_size <= len(reserved) + 1:
    raise VocabError(f"--vocab_size={vocab_size}: expected more than the "
                     f"{len(reserved)} reserved tokens")
  if num_unused < 0:
    raise VocabError(f"--num_unused={num_unused}: expected >= 0")
  counts, total = count_words(input_patterns, do_lower_case, max_sentences,
                              invalid_utf8)
  if not counts:
    raise corpus.CorpusError(f"{input_patterns}: no text to learn from")
  vocab = wordpiece_learner.learn(counts, vocab_size, reserved)
  _write_text(output_file, "".join(token + "\n" for token in vocab))
  # The tokenizer must accept what we wrote (special tokens, one per line).
  tokenization.WordpieceTokenizer(output_file, do_lower_case=do_lower_case)
  return VocabSummary([output_file], len(vocab), total, len(counts))


def train_sentencepiece(input_patterns: Union[str, Sequence[str]],
                        model_prefix: str, vocab_size: int = 30000,
                        do_lower_case: bool = True,
                        max_sentences: int = 10_000_000,
                        character_coverage: float = 0.99995,
                        invalid_utf8: str = "fail",
                        overwrite: bool = False) -> VocabSummary:
  """Trains an ALBERT-style SentencePiece model: <prefix>.model, .vocab.

  Args:
    input_patterns: comma-separated globs (or a list) of text shards.
    model_prefix: writes `<model_prefix>.model` and `<model_prefix>.vocab`.
    vocab_size: pieces in the model.
    do_lower_case: lower-case the training text (ALBERT's uncased models).
    max_sentences: sentences sampled for training (ALBERT's
      `--input_sentence_size=10000000`).
    overwrite: replace existing outputs (else an OutputError).
  """
  if not overwrite:
    writer.refuse_existing([model_prefix + ".model", model_prefix + ".vocab"])
  paths = corpus.expand_patterns(input_patterns)
  counted = {"sentences": 0}

  def sentences():
    for line in corpus.iter_sentences(paths, invalid_utf8):
      counted["sentences"] += 1
      yield line.lower() if do_lower_case else line

  model = io.BytesIO()
  try:
    spm.SentencePieceTrainer.train(
        sentence_iterator=sentences(), model_writer=model,
        vocab_size=vocab_size, model_type="unigram",
        pad_id=0, unk_id=1, eos_id=-1, bos_id=-1,
        control_symbols=list(ALBERT_CONTROL_SYMBOLS),
        user_defined_symbols=list(ALBERT_USER_SYMBOLS),
        shuffle_input_sentence=True, input_sentence_size=max_sentences,
        character_coverage=character_coverage, minloglevel=2)
  except RuntimeError as e:
    raise VocabError(f"SentencePiece training failed: "
                     f"{str(e).strip().splitlines()[-1]}") from None
  processor = spm.SentencePieceProcessor()
  processor.LoadFromSerializedProto(model.getvalue())
  pieces = "".join(
      f"{processor.IdToPiece(i)}\t{processor.GetScore(i)}\n"
      for i in range(processor.GetPieceSize()))
  _write_bytes(model_prefix + ".model", model.getvalue())
  _write_text(model_prefix + ".vocab", pieces)
  tokenization.SentencePieceTokenizer(model_prefix + ".model",
                                      do_lower_case=do_lower_case)
  return VocabSummary([model_prefix + ".model", model_prefix + ".vocab"],
                      processor.GetPieceSize(), counted["sentences"])


def _write_text(path, text):
  _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path, data):
  writer.make_parent_dirs(path)
  with fileio.atomic_file(path) as f:
    f.write(data)
