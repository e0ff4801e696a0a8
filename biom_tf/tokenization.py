"""WordPiece (BERT, ELECTRA) and SentencePiece (ALBERT) tokenizers, on tf_text.

Both tokenizers reproduce the reference tokenizers id for id:

  * `WordpieceTokenizer`: google-research/bert `FullTokenizer` as transformers'
    (slow) `BertTokenizer` implements it (`tokenize_chinese_chars=True`,
    `strip_accents=None`): text clean-up, CJK characters as words, NFC,
    whitespace split, lower-casing with accent stripping (only when
    lower-casing), punctuation split, then greedy longest-match-first WordPiece
    with `[UNK]` for a word that cannot be covered or is over 100 characters.
    Special tokens written in the text (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`,
    `[UNK]`, exact case) stay single tokens, as in transformers. (The original
    google-research/bert code splits them into `[`, `cl`, `##s`, `]`.)
  * `SentencePieceTokenizer`: google-research/albert `FullTokenizer` with an
    `spm_model_file`, as transformers' (slow) `AlbertTokenizer` implements it:
    `preprocess_text` (whitespace collapse, ``/'' to ", NFKD and combining
    marks removed, lower-casing) then SentencePiece, then `encode_pieces`'
    rule that re-splits a piece ending in a digit followed by ",".

All the text processing runs as TensorFlow ops (one graph call for a whole
batch of texts), so `tf_tokenize` can live inside a tf.function or a
SavedModel, and `tokenize_batch` is fast enough for pretraining corpora.
WordPiece takes a shortcut for text that is all ASCII (97% of PubMed
lines): there, FastWordpieceTokenizer's own pre-tokenization is exactly
BERT's (see `WordpieceTokenizer._ascii_ids`).

Where tensorflow_text falls short of the reference (its `BertTokenizer`
and `BasicTokenizer`), the pipeline below uses its lower-level ops instead:

  * `BasicTokenizer(lower_case=True)` lower-cases with `case_fold_utf8`, which
    is NFKC_Casefold: it also applies NFKC (µ→μ, ²→2, ﬁ→fi, U+2011→U+2010,
    ß→ss) and removes default-ignorable characters; Python's `str.lower()`
    does none of that. We use `tf.strings.lower(encoding="utf-8")`, which is
    ICU's full lower-casing, like `str.lower()` (final sigma and İ included).
  * Its whitespace split is RE2 `\\s` (ASCII only), so with
    `lower_case=False` non-ASCII spaces (no-break space, thin space; common in
    PubMed) do not split words; and U+2028/U+2029 never do.
  * It drops Cc/Cf control characters but transformers drops every C*
    category (private use and unassigned too), and it does not apply
    transformers' NFC.
  * `[CLS]` in the text is split unless `preserve_unused_token=True`, which
    also keeps `[unused7]` (not a special token in transformers) whole.
  * `WordpieceTokenizer`/`FastWordpieceTokenizer` count the word length
    limit in UTF-8 bytes; the reference counts characters.

The character classes come from Python's `unicodedata`, the same tables the
reference uses, rather than RE2's `\\p{..}` (a different Unicode version, and
RE2 has no `Cn`).

Also worked around: `tf.strings.lower` and `tf_text.regex_split` silently
drop everything after a NUL character (see `_hide_nul`); and ALBERT's
SentencePiece runs on `FastSentencepieceTokenizer` (see
`SentencePieceTokenizer`). What remains different from the reference:
a unigram segmentation tie that float rounding decides may go the other way
(two equal-score segmentations of the same text; about 1 line in 10,000),
and `SentencePieceTokenizer.tokenize` writes an unknown piece as "<unk>"
where transformers keeps its text (same ids).
"""
import functools
import re
import sys
import unicodedata
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import numpy as np
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2
import tensorflow as tf
import tensorflow_text as tf_text

from biom_tf import configs
from biom_tf import fileio

SPIECE_UNDERLINE = "\u2581"  # "▁", SentencePiece's word-start marker.

# BERT's `_is_chinese_char`: the CJK Unified Ideographs blocks.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF),
               (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF),
               (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))

# ALBERT's `_is_start_piece_sp`: these pieces begin a word for whole-word
# masking, and so does any piece with a character (lower-cased) outside
# `_ALBERT_WORD_CHARS`: digits, accented or non-Latin letters, other symbols.
_ALBERT_START_PIECES = frozenset('!"#$%&"()*+,-./:;?@[\\]^_`{|}~')
_ALBERT_WORD_CHARS = (frozenset("abcdefghijklmnopqrstuvwxyz") |
                      _ALBERT_START_PIECES)

# The reference's `max_input_chars_per_word`.
MAX_CHARS_PER_WORD = 100


class TokenizerError(ValueError):
  """A vocab file or SentencePiece model that cannot be used (named in it)."""


# ----------------------------------------------------------- character classes
# Each class is a bool[0x110000] mask over all code points, computed with
# numpy from per-character tables (about 0.1 s each: `map` over the 1.1M
# code points, no Python loop body).
def _per_character(function, dtype=bool) -> np.ndarray:
  """function(char) for every code point: dtype[0x110000]."""
  size = sys.maxunicode + 1
  return np.fromiter(map(function, map(chr, range(size))), dtype, size)


@functools.lru_cache(maxsize=None)
def _categories() -> np.ndarray:
  """unicodedata.category of every code point: str[0x110000] ("Lu", ...)."""
  return _per_character(unicodedata.category, "U2")


@functools.lru_cache(maxsize=None)
def _major_categories() -> np.ndarray:
  """The first letter of every code point's category: str[0x110000]."""
  return _categories().astype("U1")


@functools.lru_cache(maxsize=None)
def _python_space() -> np.ndarray:
  """str.isspace() of every code point: bool[0x110000]."""
  return _per_character(str.isspace)


def _at(characters: str) -> np.ndarray:
  """The code points of `characters`: int[len(characters)]."""
  return np.array([ord(c) for c in characters], dtype=np.int64)


def _regex_class(mask: np.ndarray) -> str:
  """An RE2 character class of the code points where mask: bool[0x110000].

  Surrogates (U+D800-U+DFFF) are left out: they cannot occur in valid UTF-8.
  """
  mask = mask.copy()
  mask[0xD800:0xE000] = False
  # Runs of True: where the mask, padded with False, changes value.
  edges = np.flatnonzero(np.diff(np.concatenate([[0], mask, [0]]).astype(
      np.int8)))
  parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}"
           for a, b in zip(edges[0::2].tolist(), (edges[1::2] - 1).tolist())]
  return "[" + "".join(parts) + "]"


def _bert_control() -> np.ndarray:
  """Characters `_clean_text` deletes: NUL, U+FFFD and C* except \\t\\n\\r.

  transformers tests `category.startswith("C")`; google-research/bert tests
  only Cc and Cf (the two differ on private-use and unassigned code points).
  """
  mask = _major_categories() == "C"
  mask[_at("\x00\ufffd")] = True
  mask[_at("\t\n\r")] = False
  return mask


def _bert_whitespace() -> np.ndarray:
  """Characters that separate words: BERT's `_is_whitespace` (space,
  \\t\\n\\r, Zs) plus what `str.split()` also splits on (U+2028, U+2029),
  less what `_clean_text` deletes first."""
  mask = (_categories() == "Zs") | _python_space()
  mask[_at(" \t\n\r")] = True
  return mask & ~_bert_control()


def _bert_punctuation() -> np.ndarray:
  """BERT's `_is_punctuation`: all non-letter/number ASCII, and Unicode P*."""
  cp = np.arange(sys.maxunicode + 1)
  ascii_symbols = (((33 <= cp) & (cp <= 47)) | ((58 <= cp) & (cp <= 64)) |
                   ((91 <= cp) & (cp <= 96)) | ((123 <= cp) & (cp <= 126)))
  return ascii_symbols | (_major_categories() == "P")


def _wide_whitespace() -> np.ndarray:
  """BERT whitespace other than the ASCII characters tf.strings.split splits
  on (space, \\t\\n\\r; \\v and \\f are deleted as control characters)."""
  mask = _bert_whitespace()
  mask[:128] = False
  return mask


@functools.lru_cache(maxsize=None)
def _char_class(name: str) -> str:
  """The RE2 class for one named character set (computed once per process)."""
  masks = {
      "bert_control": _bert_control,
      "bert_wide_whitespace": _wide_whitespace,
      "bert_punctuation": _bert_punctuation,
      "nonspacing_mark": lambda: _categories() == "Mn",
      "python_space": _python_space,
      "combining": lambda: _per_character(unicodedata.combining, np.int32) != 0,
      "python_digit": lambda: _per_character(str.isdigit),
  }
  return _regex_class(masks[name]())


def _cjk_class() -> str:
  ranges = [f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in _CJK_RANGES]
  return "[" + "".join(ranges) + "]"


def _alternation(strings: Sequence[str]) -> str:
  """A regex matching any of `strings` literally, longest first."""
  return "|".join(re.escape(s) for s in sorted(strings, key=len, reverse=True))


def _isin(values: tf.Tensor, strings: Sequence[str]) -> tf.Tensor:
  """values: string[N] → bool[N], True where the value is one of `strings`."""
  table = tf.constant(list(strings), dtype=tf.string)
  return tf.reduce_any(tf.equal(values[:, None], table[None, :]), axis=1)


def _split_specials(texts: tf.Tensor,
                    specials: Sequence[str]) -> tf.RaggedTensor:
  """Cuts each text around the special tokens written in it.

  texts: string[B] → string[B, (chunks)], each special token its own chunk,
  in order (transformers' added-token trie split). Empty chunks are dropped.
  """
  pattern = f"({_alternation(specials)})"
  return tf_text.regex_split(texts, pattern, pattern)


def _lower(texts: tf.Tensor) -> tf.Tensor:
  """Lower-cases as transformers does: `str.lower()` one character at a time.

  (`PreTrainedTokenizer.tokenize` lower-cases with `re.sub("(.+?)", ...)`,
  so Σ always becomes σ: never the final ς that `str.lower()` gives a
  whole word, and that google-research/bert gives.) Apart from final sigma,
  ICU's lower-casing is `str.lower()`'s full case mapping (İ → i̇).
  """
  texts = tf.strings.regex_replace(texts, "\u03a3", "\u03c3")  # Σ → σ
  # (tf.strings.lower stops at a NUL; callers remove or hide NULs first.)
  return tf.strings.lower(texts, encoding="utf-8")


# tf.strings.lower and tf_text.regex_split stop at a NUL character and drop
# the rest of the string. The SentencePiece path keeps NULs (the reference
# encodes one as <unk>), so they are hidden from those ops as "\ue000n", a
# private-use character no step changes plus a letter; "\ue000" itself is
# written "\ue000e", so that the hiding can be undone exactly.
_NUL_ESCAPE = "\ue000"


def _hide_nul(texts: tf.Tensor) -> tf.Tensor:
  texts = tf.strings.regex_replace(texts, _NUL_ESCAPE, _NUL_ESCAPE + "e")
  return tf.strings.regex_replace(texts, r"\x00", _NUL_ESCAPE + "n")


def _restore_nul(texts: tf.Tensor) -> tf.Tensor:
  texts = tf.strings.regex_replace(texts, _NUL_ESCAPE + "n", "\x00")
  return tf.strings.regex_replace(texts, _NUL_ESCAPE + "e", _NUL_ESCAPE)


# ------------------------------------------------------------- file reading
def load_vocab(vocab_file: str) -> List[str]:
  """Reads a WordPiece vocab.txt (one token per line, id = line number)."""
  data = fileio.read_bytes(vocab_file, TokenizerError, "WordPiece vocab file")
  try:
    text = data.decode("utf-8")
  except UnicodeDecodeError as e:
    raise TokenizerError(
        f"{vocab_file}: byte {e.start}: vocab file is not UTF-8") from None
  lines = text.split("\n")
  if lines and lines[-1] == "":
    lines.pop()  # The newline that ends the last line.
  vocab = [line.rstrip("\r") for line in lines]
  seen = {}
  for line_number, token in enumerate(vocab, start=1):
    if not token or token != token.strip():
      raise TokenizerError(
          f"{vocab_file}:{line_number}: expected one token per line, got "
          f"{token!r}")
    if token in seen:
      raise TokenizerError(
          f"{vocab_file}:{line_number}: token {token!r} repeats line "
          f"{seen[token]}")
    seen[token] = line_number
  if not vocab:
    raise TokenizerError(f"{vocab_file}: vocab file is empty")
  return vocab


# ------------------------------------------------------------ common surface
class _Vocabulary:
  """Tokens by id and ids by token. A plain object, so that tf.Module does
  not wrap (and try to track) a 30,000-entry list and dict."""

  def __init__(self, tokens: Sequence[str]):
    self.tokens = tuple(tokens)
    self.ids = {token: i for i, token in enumerate(self.tokens)}
    self.array = np.array(self.tokens, dtype=object)


class _Tokenizer(tf.Module):
  """What both tokenizers share: ids, tokens, batching, the Python API.

  Subclasses set `_vocabulary` and the special token strings, and implement
  `_tokenize_graph(texts: string[B]) -> ids int32[B, (T)]` in TensorFlow ops.
  """

  cls_token = "[CLS]"
  sep_token = "[SEP]"
  mask_token = "[MASK]"
  pad_token = "[PAD]"
  unk_token = "[UNK]"

  def __init__(self, name=None):
    super().__init__(name=name)
    # No autograph: the graph has no Python control flow, and converting
    # tensorflow_text's Python code takes seconds.
    self._batch_fn = tf.function(
        self._tokenize_graph, autograph=False,
        input_signature=[tf.TensorSpec([None], tf.string)])

  # ------------------------------------------------------------ vocabulary
  @property
  def vocab(self) -> List[str]:
    return list(self._vocabulary.tokens)

  @property
  def vocab_size(self) -> int:
    return len(self._vocabulary.tokens)

  @property
  def special_tokens(self) -> List[str]:
    return [self.cls_token, self.sep_token, self.pad_token, self.mask_token,
            self.unk_token]

  @property
  def cls_id(self) -> int:
    return self._vocabulary.ids[self.cls_token]

  @property
  def sep_id(self) -> int:
    return self._vocabulary.ids[self.sep_token]

  @property
  def pad_id(self) -> int:
    return self._vocabulary.ids[self.pad_token]

  @property
  def mask_id(self) -> int:
    return self._vocabulary.ids[self.mask_token]

  @property
  def unk_id(self) -> int:
    return self._vocabulary.ids[self.unk_token]

  def convert_tokens_to_ids(self, tokens: Sequence[str]) -> List[int]:
    """Unknown tokens map to `unk_id`, as in transformers."""
    ids, unk_id = self._vocabulary.ids, self.unk_id
    return [ids.get(token, unk_id) for token in tokens]

  def convert_ids_to_tokens(self, ids: Sequence[int]) -> List[str]:
    tokens = self._vocabulary.tokens
    bad = [int(i) for i in ids if not 0 <= int(i) < len(tokens)]
    if bad:
      raise TokenizerError(
          f"ids {bad[:5]}: expected ids in [0, {len(tokens)})")
    return [tokens[int(i)] for i in ids]

  # ------------------------------------------------------------ tokenizing
  @tf.autograph.experimental.do_not_convert
  def tf_tokenize(self, strings: tf.Tensor) -> tf.RaggedTensor:
    """strings: string[B] → int32[B, (tokens)] token ids; graph-compatible.

    For use inside a tf.function or a SavedModel signature (track the
    tokenizer on the saved tf.Module, e.g. `module.tokenizer = tokenizer`).
    """
    return self._tokenize_graph(strings)

  def tokenize(self, text: str) -> List[str]:
    return self.tokenize_batch([text])[0]

  def encode(self, text: str) -> List[int]:
    """Token ids of `text` (no [CLS]/[SEP] added)."""
    return self.encode_batch([text])[0]

  def tokenize_batch(self, texts: Sequence[str]) -> List[List[str]]:
    """Tokens of every text; the TensorFlow ops run once for the batch.

    Pass many texts per call (thousands or more): that is what makes it fast.
    """
    return self._run(texts, as_tokens=True)

  def encode_batch(self, texts: Sequence[str]) -> List[List[int]]:
    """Token ids of every text; the TensorFlow ops run once for the batch."""
    return self._run(texts, as_tokens=False)

  def _run(self, texts, as_tokens):
    if isinstance(texts, (str, bytes)):
      raise TypeError("tokenize_batch/encode_batch take a list of strings, "
                      f"got {type(texts).__name__}")
    texts = list(texts)
    if not texts:
      return []
    ids = self._batch_fn(tf.constant(texts, dtype=tf.string))
    splits = ids.row_splits.numpy()
    flat = ids.flat_values.numpy()
    # Tokens are looked up by id here rather than moved out of the graph.
    flat = (self._vocabulary.array[flat] if as_tokens else flat).tolist()
    return [flat[splits[i]:splits[i + 1]] for i in range(len(texts))]

  def _check_specials(self, path):
    missing = [t for t in self.special_tokens if t not in self._vocabulary.ids]
    if missing:
      raise TokenizerError(
          f"{path}: vocabulary lacks the special tokens {', '.join(missing)}")


# ---------------------------------------------------------------- WordPiece
class WordpieceTokenizer(_Tokenizer):
  """BERT's FullTokenizer (basic tokenizer + WordPiece) on tensorflow_text.

  Args:
    vocab_file: vocab.txt, one token per line (local path or gs://...).
    do_lower_case: lower-case and strip accents (uncased models).
  """

  def __init__(self, vocab_file: str, do_lower_case: bool = True, name=None):
    super().__init__(name=name)
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case
    self._vocabulary = _Vocabulary(load_vocab(vocab_file))
    self._check_specials(vocab_file)
    vocab = list(self._vocabulary.tokens)
    # The reference's 100-character limit is applied before this op (see
    # `_general_ids`); a word of at most 100 characters has at most 400
    # UTF-8 bytes, so tensorflow_text's byte limit never fires first.
    self._wordpiece = tf_text.FastWordpieceTokenizer(
        vocab=vocab, suffix_indicator="##",
        max_bytes_per_word=4 * MAX_CHARS_PER_WORD, token_out_type=tf.int32,
        unknown_token=self.unk_token, no_pretokenization=True)
    # For ASCII text, where its own pre-tokenization (split on whitespace
    # and punctuation, which for ASCII are BERT's: see `_ascii_ids`) and its
    # byte limit (bytes are characters) are the reference's.
    self._ascii_wordpiece = tf_text.FastWordpieceTokenizer(
        vocab=vocab, suffix_indicator="##",
        max_bytes_per_word=MAX_CHARS_PER_WORD, token_out_type=tf.int32,
        unknown_token=self.unk_token, no_pretokenization=False)

  def is_word_start(self, token: str) -> bool:
    """A token that begins a new word (whole-word masking): not ##-prefixed."""
    return not token.startswith("##")

  def _tokenize_graph(self, texts):
    """texts: string[B] → ids int32[B, (T)].

    transformers' BasicTokenizer.tokenize, then WordPiece: text clean-up and
    NFC, special tokens cut out, then each remaining chunk of text is
    tokenized by `_ascii_ids` if it is all ASCII (97% of PubMed lines; three
    times faster), else by `_general_ids`.
    """
    specials = self.special_tokens
    # _clean_text: delete NUL, U+FFFD and control characters.
    texts = tf.strings.regex_replace(texts, _char_class("bert_control"), "")
    texts = tf_text.normalize_utf8(texts, "NFC")
    # Special tokens written in the text become chunks of their own, left
    # as they are (transformers splits them off before BasicTokenizer).
    chunks = _split_specials(texts, specials)                  # [B, (C)]
    flat = chunks.flat_values                                  # [C]
    is_special = _isin(flat, specials)
    # A chunk is ASCII when its length in bytes is its length in characters.
    is_ascii = tf.logical_and(
        tf.equal(tf.strings.length(flat),
                 tf.strings.length(flat, unit="UTF8_CHAR")),
        tf.logical_not(is_special))
    ascii_index = tf.where(is_ascii)[:, 0]                     # [A]
    other_index = tf.where(tf.logical_not(is_ascii))[:, 0]     # [C - A]
    ids = tf.concat([self._ascii_ids(tf.gather(flat, ascii_index)),
                     self._general_ids(tf.gather(flat, other_index),
                                       tf.gather(is_special, other_index))],
                    axis=0)                                    # [C, (T)]
    # Back in chunk order: chunk ascii_index[i] is row i, and so on.
    order = tf.math.invert_permutation(
        tf.concat([ascii_index, other_index], axis=0))
    return chunks.with_flat_values(tf.gather(ids, order)).merge_dims(1, 2)

  def _ascii_ids(self, chunks):
    """chunks: string[A], cleaned ASCII text → ids int32[A, (T)].

    For ASCII, lower-casing is `str.lower()`'s, accent stripping changes
    nothing, there are no CJK characters, the whitespace left after
    clean-up is space, \\t, \\n and \\r, and FastWordpieceTokenizer's
    punctuation is BERT's (all non-alphanumeric printable ASCII; every ASCII
    character is checked against transformers in tests/test_tokenization.py).
    So its own pre-tokenization gives the reference's words, and its
    100-byte limit the reference's 100-character one.
    """
    if self.do_lower_case:
      chunks = tf.strings.lower(chunks)
    return self._ascii_wordpiece.tokenize(chunks)

  def _general_ids(self, chunks, is_special):
    """chunks: string[N], cleaned text or a special token (is_special:
    bool[N]) → ids int32[N, (T)].

    Lower-casing and accent stripping run on whole chunks rather than on
    each word (several times faster); that gives the same words, as neither
    creates nor removes whitespace. Special tokens stay whole.
    """
    text = chunks
    if self.do_lower_case:
      text = _lower(text)
      # _run_strip_accents: NFD, then drop the non-spacing marks.
      text = tf_text.normalize_utf8(text, "NFD")
      text = tf.strings.regex_replace(text, _char_class("nonspacing_mark"), "")
    # Split on whitespace, and keep punctuation (_run_split_on_punc) and CJK
    # characters (_tokenize_chinese_chars) as words of their own: a space on
    # each side of those, every other whitespace character made a space,
    # then tf.strings.split (on ASCII whitespace, dropping empty words).
    # This is `regex_split` on the same classes, several times faster.
    text = tf.strings.regex_replace(
        text, f"({_char_class('bert_punctuation')}|{_cjk_class()})", r" \1 ")
    text = tf.strings.regex_replace(
        text, _char_class("bert_wide_whitespace"), " ")
    words = tf.strings.split(tf.where(is_special, chunks, text))  # [N, (W)]
    flat_words = words.flat_values
    # max_input_chars_per_word: a word of over 100 characters is [UNK];
    # writing it as "[UNK]" makes WordPiece return unk_id for it.
    too_long = (tf.strings.length(flat_words, unit="UTF8_CHAR") >
                MAX_CHARS_PER_WORD)
    flat_words = tf.where(too_long, self.unk_token, flat_words)
    ids = self._wordpiece.tokenize(flat_words)                 # [W, (T)]
    return words.with_flat_values(ids).merge_dims(1, 2)


# ------------------------------------------------------------ SentencePiece
class SentencePieceTokenizer(_Tokenizer):
  """ALBERT's FullTokenizer with an spm_model_file, on tensorflow_text.

  Args:
    spm_model_file: the serialized SentencePiece model (local path or gs://).
    do_lower_case: lower-case after normalisation (ALBERT's uncased models).

  `tokenize` gives an unknown piece as the unk token ("<unk>"), where
  transformers gives its text; the ids are the same.
  """

  def __init__(self, spm_model_file: str, do_lower_case: bool = True,
               name=None):
    super().__init__(name=name)
    self.spm_model_file = spm_model_file
    self.do_lower_case = do_lower_case
    model = fileio.read_bytes(spm_model_file, TokenizerError,
                              "SentencePiece model")
    proto = sentencepiece_model_pb2.ModelProto()
    processor = spm.SentencePieceProcessor()
    try:
      proto.ParseFromString(model)
      processor.LoadFromSerializedProto(model)
    except Exception as e:  # protobuf's DecodeError, or sentencepiece's.
      raise TokenizerError(
          f"{spm_model_file}: not a SentencePiece model: {e}") from None
    pieces = [processor.IdToPiece(i) for i in range(processor.GetPieceSize())]
    self._vocabulary = _Vocabulary(pieces)
    # ALBERT's special tokens: SentencePiece's own unk (and pad) pieces,
    # "<unk>"/"<pad>" in the published models, plus the control symbols
    # [CLS], [SEP], [MASK] given to spm_train.
    self.unk_token = processor.IdToPiece(processor.unk_id())
    if processor.pad_id() >= 0:
      self.pad_token = processor.IdToPiece(processor.pad_id())
    self._check_specials(spm_model_file)
    if proto.trainer_spec.model_type == proto.trainer_spec.UNIGRAM:
      # Not tf_text.SentencepieceTokenizer for unigram models (ALBERT's):
      # the SentencePiece library built into it picks differently between
      # equal-score segmentations ("▁", "00", "0" against the Python
      # package's "▁", "0", "00" for " 000" when "00" is a piece): 19 lines
      # in 18,313 of PubMed with an 800-piece model. FastSentencepieceTokenizer
      # agrees with the Python package but for the rare ties that float
      # rounding decides (1 line in 18,313), and is twice as fast; but it
      # gets BPE and word models wrong, which keep the other op.
      self._sentencepiece = tf_text.FastSentencepieceTokenizer(model)
    else:
      self._sentencepiece = tf_text.SentencepieceTokenizer(
          model=model, out_type=tf.int32)
    self._pieces = tf.constant(pieces, dtype=tf.string)
    self._piece_ids = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            self._pieces, tf.range(len(pieces), dtype=tf.int32)),
        default_value=self.unk_id)

  def is_word_start(self, token: str) -> bool:
    """ALBERT's `_is_start_piece_sp`, plus the special tokens.

    A piece starts a word if it starts with "▁" or "<", is one punctuation
    character of ALBERT's set, or has a character that, lower-cased, is
    neither an ASCII letter nor in that set ("1990", "é", "–": ALBERT treats
    foreign characters as whole pieces). So "ing" and "-ing" continue a word.
    """
    return (token.startswith(SPIECE_UNDERLINE) or token.startswith("<") or
            token in _ALBERT_START_PIECES or token in self.special_tokens or
            not all(char.lower() in _ALBERT_WORD_CHARS for char in token))

  def _encode(self, texts):
    """texts: string[N] → SentencePiece ids int32[N, (k)]."""
    return self._sentencepiece.tokenize(texts).with_row_splits_dtype(tf.int64)

  def _preprocess(self, texts):
    """ALBERT's `preprocess_text`: string[N] → string[N]."""
    # " ".join(text.strip().split())
    texts = tf.strings.regex_replace(
        texts, _char_class("python_space") + "+", " ")
    texts = tf.strings.regex_replace(texts, "^ | $", "")
    texts = tf.strings.regex_replace(texts, "``", '"')
    texts = tf.strings.regex_replace(texts, "''", '"')
    # NFKD, then drop the characters with a combining class.
    texts = tf_text.normalize_utf8(texts, "NFKD")
    texts = tf.strings.regex_replace(texts, _char_class("combining"), "")
    if self.do_lower_case:
      texts = _lower(texts)
    return texts

  def _split_digit_comma(self, ids):
    """ALBERT's `encode_pieces` rule, ids: int32[N] → int32[N, (k)].

    A piece like "▁1990," (a digit, then ",") is encoded again without its
    "," and "▁"; a "▁" that the original piece did not start with is taken
    off the first new piece (dropped if that piece is a bare "▁"); then ","
    is appended. Other pieces are rows of one.
    """
    pieces = tf.gather(self._pieces, ids)
    match = tf.strings.regex_full_match(
        pieces, f"(?s).*{_char_class('python_digit')},")
    index = tf.where(match)[:, 0]
    matched = tf.gather(pieces, index)
    body = tf.strings.regex_replace(matched, f",$|{SPIECE_UNDERLINE}", "")
    sub_ids = self._encode(body)                                 # [M, (Q)]
    sub = sub_ids.with_flat_values(tf.gather(self._pieces, sub_ids.flat_values))
    first = sub.row_starts()
    first_piece = tf.gather(sub.flat_values, first)
    fix = tf.logical_and(
        tf.logical_not(tf.strings.regex_full_match(
            matched, f"(?s){SPIECE_UNDERLINE}.*")),
        tf.strings.regex_full_match(first_piece, f"(?s){SPIECE_UNDERLINE}.*"))
    first_piece = tf.where(
        fix, tf.strings.regex_replace(first_piece, f"^{SPIECE_UNDERLINE}", ""),
        first_piece)
    sub = sub.with_flat_values(tf.tensor_scatter_nd_update(
        sub.flat_values, first[:, None], first_piece))
    sub = tf.ragged.boolean_mask(sub, tf.not_equal(sub, ""))   # a bare "▁"
    comma = tf.RaggedTensor.from_row_lengths(
        tf.fill([tf.size(index)], ","), tf.ones_like(index), validate=False)
    sub = tf.concat([sub, comma], axis=1)
    # A stripped piece may not be in the vocabulary: unk_id, as in the
    # reference (`PieceToId`).
    sub_ids = self._piece_ids.lookup(sub.flat_values)
    # Rows: [id] where no match, the new ids where matched.
    n = tf.size(ids, out_type=tf.int64)
    not_match = tf.logical_not(match)
    kept = tf.RaggedTensor.from_row_lengths(
        tf.boolean_mask(ids, not_match), tf.cast(not_match, tf.int64),
        validate=False)
    replaced = tf.RaggedTensor.from_row_lengths(
        sub_ids, tf.scatter_nd(index[:, None], sub.row_lengths(), [n]),
        validate=False)
    return tf.concat([kept, replaced], axis=1)

  def _tokenize_graph(self, texts):
    """texts: string[B] → ids int32[B, (T)]."""
    specials = self.special_tokens
    # Special tokens written in the text become chunks of their own, the
    # rest is tokenized chunk by chunk (as transformers does).
    chunks = _split_specials(_hide_nul(texts), specials)       # [B, (C)]
    flat = chunks.flat_values
    is_special = _isin(flat, specials)
    text_chunks = _restore_nul(self._preprocess(tf.where(is_special, "", flat)))
    ids = self._encode(text_chunks)
    ids = ids.with_flat_values(
        self._split_digit_comma(ids.flat_values)).merge_dims(1, 2)
    special_rows = tf.RaggedTensor.from_row_lengths(
        self._piece_ids.lookup(tf.boolean_mask(flat, is_special)),
        tf.cast(is_special, tf.int64), validate=False)
    ids = tf.concat([ids, special_rows], axis=1)               # [C, (T)]
    return chunks.with_flat_values(ids).merge_dims(1, 2)


# ------------------------------------------------------------------ factory
def build_tokenizer(vocab_file: Optional[str] = None,
                    spm_model_file: Optional[str] = None,
                    do_lower_case: bool = True) -> _Tokenizer:
  """The SentencePiece tokenizer if `spm_model_file` is given, else WordPiece.

  As in ALBERT's FullTokenizer, `spm_model_file` wins when both are given.
  """
  if spm_model_file:
    return SentencePieceTokenizer(spm_model_file, do_lower_case=do_lower_case)
  if vocab_file:
    return WordpieceTokenizer(vocab_file, do_lower_case=do_lower_case)
  raise TokenizerError(
      "build_tokenizer: expected vocab_file (WordPiece) or spm_model_file "
      "(SentencePiece), got neither")


# ------------------------------------------------------------------ casing
class Casing(NamedTuple):
  """How a checkpoint's text was cased, and what says so."""
  do_lower_case: bool
  source: str      # e.g. "vocab.txt is cased (word pieces such as 'The')"


# An entry in [brackets] or <angles> is a special token, not a word piece.
_SPECIAL_ENTRY = re.compile(r"^(\[.*\]|<.*>)$")


def _casing_from_entries(entries: Sequence[str], path: str,
                         what: str) -> Optional[Casing]:
  """Cased if some ordinary entries change under lower-casing.

  An uncased vocabulary was built from lower-cased text, so lower-casing
  changes none of its pieces (letters without a lower-case form, such as
  'ℝ' in Google's uncased vocabulary, do not count). A cased one has
  upper-case pieces by the thousand; at least 1 in 200 of the entries with
  cased letters is asked for, so that a stray hand-added entry does not turn
  an uncased vocabulary cased. None: no entry with a cased letter.
  """
  cased_letter, upper = 0, []
  for entry in entries:
    if _SPECIAL_ENTRY.match(entry):
      continue
    if any(c.lower() != c.upper() for c in entry):
      cased_letter += 1
      if entry.lower() != entry:
        upper.append(entry)
  if not cased_letter:
    return None
  name = path
  if len(upper) >= max(1, cased_letter // 200):
    examples = ", ".join(repr(e) for e in upper[:3])
    return Casing(False, f"{name} is cased ({what} with upper-case letters "
                  f"such as {examples})")
  return Casing(True, f"{name} is uncased (no upper-case {what})")


def casing_evidence(vocab_file: Optional[str] = None,
                    spm_model_file: Optional[str] = None,
                    tokenizer_config: Union[None, str, Dict[str, Any]] = None,
                    preset: Union[None, str, "configs.Preset"] = None
                    ) -> Optional[Casing]:
  """The casing a checkpoint was trained with, and its source; None: unknown.

  Evidence, strongest first:
    preset: a `configs.Preset` or its name (the published model's casing);
    tokenizer_config: a Hugging Face `tokenizer_config.json` or our
      `biom_model.json` (path), or a dict; its `do_lower_case`, if set;
    spm_model_file: a normalizer that case-folds (`*_cf`) means uncased;
      otherwise its ordinary pieces, as for a WordPiece vocabulary;
    vocab_file: a WordPiece vocabulary with upper-case entries among its
      ordinary word pieces is cased, one without is uncased.
  """
  if preset is not None:
    if isinstance(preset, str):
      try:
        preset = configs.get_preset(preset)
      except ValueError as e:
        raise TokenizerError(str(e)) from None
    return Casing(bool(preset.do_lower_case),
                  f"preset {preset.name} is "
                  f"{'uncased' if preset.do_lower_case else 'cased'}")
  if tokenizer_config is not None:
    values, name = tokenizer_config, "tokenizer config"
    if isinstance(tokenizer_config, str):
      values = fileio.read_json_object(tokenizer_config, TokenizerError,
                                       "tokenizer config")
      name = tokenizer_config
    value = values.get("do_lower_case")
    if isinstance(value, bool):
      return Casing(value, f"{name} says do_lower_case={str(value).lower()}")
  if spm_model_file:
    proto = sentencepiece_model_pb2.ModelProto()
    try:
      proto.ParseFromString(fileio.read_bytes(
          spm_model_file, TokenizerError, "SentencePiece model"))
    except Exception as e:  # protobuf's DecodeError
      raise TokenizerError(
          f"{spm_model_file}: not a SentencePiece model: {e}") from None
    normalizer = proto.normalizer_spec.name
    if normalizer.endswith("_cf"):
      return Casing(True, f"{spm_model_file}: its normalizer {normalizer} "
                    "case-folds")
    normal = proto.SentencePiece.NORMAL
    pieces = [p.piece.replace(SPIECE_UNDERLINE, "") for p in proto.pieces
              if p.type == normal]
    return _casing_from_entries(pieces, spm_model_file, "pieces")
  if vocab_file:
    entries = [e[2:] if e.startswith("##") else e
               for e in load_vocab(vocab_file)]
    return _casing_from_entries(entries, vocab_file, "word pieces")
  return None


def infer_do_lower_case(vocab_file: Optional[str] = None,
                        spm_model_file: Optional[str] = None,
                        tokenizer_config: Union[None, str,
                                                Dict[str, Any]] = None,
                        preset: Union[None, str, "configs.Preset"] = None
                        ) -> Optional[bool]:
  """True (uncased), False (cased) or None (no evidence); see
  `casing_evidence` for what is looked at."""
  casing = casing_evidence(vocab_file, spm_model_file, tokenizer_config,
                           preset)
  return None if casing is None else casing.do_lower_case


def resolve_do_lower_case(requested: Optional[bool],
                          vocab_file: Optional[str] = None,
                          spm_model_file: Optional[str] = None,
                          tokenizer_config: Union[None, str,
                                                  Dict[str, Any]] = None,
                          preset: Union[None, str, "configs.Preset"] = None,
                          flag: str = "--do_lower_case",
                          default: bool = True) -> bool:
  """The casing to use: `requested` checked against the checkpoint's.

  requested None: the checkpoint's casing (`default` when nothing tells).
  A `requested` casing that contradicts the evidence is a TokenizerError
  naming both (google-research/bert's `validate_case_matches_checkpoint`,
  decided by the checkpoint's files rather than its directory name).
  """
  casing = casing_evidence(vocab_file, spm_model_file, tokenizer_config,
                           preset)
  if casing is None:
    return default if requested is None else bool(requested)
  if requested is None or bool(requested) == casing.do_lower_case:
    return casing.do_lower_case
  expected = str(casing.do_lower_case).lower()
  raise TokenizerError(
      f"{flag}={str(bool(requested)).lower()} contradicts the checkpoint: "
      f"{casing.source}; pass {flag}={expected} or leave it out")
