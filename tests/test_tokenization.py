"""biom_tf.tokenization against the reference tokenizers.

The oracles are transformers' slow (pure Python) `BertTokenizer` and
`AlbertTokenizer`, which implement google-research/bert's and
google-research/albert's tokenization rules, and the `sentencepiece` package.
Both are compared, cased and uncased, on every line of the 1 MB corpus
pubmed_ncbi_disease.txt plus every 4th line of pubmedqa_abstracts.txt (9,833
lines, 1.4 MB, tokenized in one batch), and on targeted strings. The
Python oracles are the slow part (about 2,000 lines/s on this machine);
the remaining lines of pubmedqa_abstracts.txt are left out to keep this file
fast, not because they differ: all 18,313 lines of both corpora matched
when this was written.
"""
import math
import os

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import pytest
import sentencepiece as spm
import tensorflow as tf
import transformers
from sentencepiece import sentencepiece_model_pb2

from biom_tf import tokenization
from tests.conftest import shared_path

CORPORA = ("pubmed_ncbi_disease.txt", "pubmedqa_abstracts.txt")

# Strings where tokenizers disagree in practice.
TARGETED = [
    "NF-κB binds α- and β-subunits; TNF-α, IL-1β, κB sites, Δψ, Ψ.",
    "Doses of 5 µM (micro sign) and 5 μM (Greek mu), 10µg/mL.",
    "Mean ± SD, p ≥ 0.05, n ≤ 12, 37 °C, 2 × 10⁵ cells, r² = 0.9, m²",
    "2,3,7,8-tetrachlorodibenzo-p-dioxin and N-acetyl-L-cysteine (NAC)",
    "en–dash em—dash hyphen‐dash minus−sign non‑breaking‑hyphen ~5",
    "Sjögren's syndrome, Ménière's disease, SJÖGREN, Guillain–Barré, naïve",
    "decomposed: Sjo\u0308gren Me\u0301nie\u0300re, stacked a\u0301\u0302",
    "中文字符 and 漢字 inside text, mixed中文words, かな カナ 한국어",
    "control\x00chars\x07here\x1b[0m\x0bvt\x0cff\x7fdel\x85nel\x1cfs end",
    "zero\u200bwidth\u200cnon\u200djoiner soft\xadhyphen bom\ufeffword "
    "wj\u2060x lrm\u200erlm\u200f",
    "private \ue000use\U000f0001 replacement\ufffdchar",
    "[CLS] the [SEP] x[MASK]y [PAD][UNK] [cls] [Mask] [unused1] [ CLS ]",
    "a" * 100 + " " + "b" * 101 + " " + "é" * 60 + " " + "β" * 101 + " " +
    "μ" * 70,
    "no-break\xa0space thin\u2009space hair\u200aspace\u202fnarrow "
    "ideographic\u3000space line\u2028sep para\u2029sep",
    "tab\tnew\nline\r\nreturn   many    spaces   ",
    "ΟΔΟΣ ΣΑΣ Σ İstanbul ǅ ẞ ß ﬁsh ﬀ Ⅳ ½ K Ω Å ™ ®",
    "a`b\u1fefc ;\u037e· quote “smart” ‘single’ «guillemets» „low“ …",
    "",
    "   ",
    "\u0301\u0302 leading marks",
]


@pytest.fixture(scope="module")
def corpus_lines():
  """Every line of the first corpus, every 4th of the second (see above)."""
  lines = []
  for name, step in zip(CORPORA, (1, 4)):
    with open(shared_path("data", "corpus", name), encoding="utf-8") as f:
      lines += [line.rstrip("\n") for line in f if line.strip()][::step]
  return lines


@pytest.fixture(scope="module")
def bert_vocab():
  return shared_path("vocab", "bert-base-uncased", "vocab.txt")


# Tokenizers are built once per module: the first call traces the graph.
@pytest.fixture(scope="module")
def wordpiece(bert_vocab):
  return {do_lower_case: tokenization.WordpieceTokenizer(
      bert_vocab, do_lower_case=do_lower_case)
          for do_lower_case in (True, False)}


def _first_difference(texts, got, want, show):
  index = next(i for i in range(len(texts)) if got[i] != want[i])
  return f"{texts[index]!r}: got {show(got[index])}, want {show(want[index])}"


# ------------------------------------------------------------------ WordPiece
@pytest.mark.parametrize("do_lower_case", [True, False],
                         ids=["uncased", "cased"])
def test_wordpiece_matches_transformers_on_corpus(corpus_lines, bert_vocab,
                                                  wordpiece, do_lower_case):
  ref = transformers.BertTokenizer(
      bert_vocab, do_lower_case=do_lower_case, tokenize_chinese_chars=True,
      strip_accents=None)
  ours = wordpiece[do_lower_case]
  texts = corpus_lines + TARGETED
  got = ours.encode_batch(texts)  # One batch: every line at once.
  want = [ref.convert_tokens_to_ids(ref.tokenize(t)) for t in texts]
  bad = [i for i in range(len(texts)) if got[i] != want[i]]
  assert not bad, (
      f"{len(bad)} of {len(texts)} texts differ; first: " +
      _first_difference(texts, got, want, ref.convert_ids_to_tokens))
  assert len(texts) > 9500
  assert sum(map(len, got)) > 300000  # The corpus really was tokenized.


def _random_ascii_texts(count, seed):
  """Random strings over all 128 ASCII characters, mixed with words that
  test the rules: special tokens (and look-alikes), words of 99-150
  characters, ## prefixes, mixed case, runs of whitespace."""
  import random
  rng = random.Random(seed)
  characters = [chr(c) for c in range(128)]
  words = ["the", "The", "KINASE", "unaffable", "[CLS]", "[MASK]", "[cls]",
           "##s", "[unused1]", "e.g.", "3,000", "1990,", "a" * 99, "b" * 100,
           "c" * 101, "D" * 150, "  ", "\t", "\r\n"]
  return ["".join(rng.choice(words) if rng.random() < 0.3 else
                  rng.choice(characters) for _ in range(rng.randint(0, 30)))
          for _ in range(count)]


@pytest.mark.parametrize("do_lower_case", [True, False],
                         ids=["uncased", "cased"])
def test_wordpiece_ascii_shortcut_matches_transformers(bert_vocab, wordpiece,
                                                       do_lower_case):
  # All-ASCII chunks of text take FastWordpieceTokenizer's own
  # pre-tokenization (`_ascii_ids`); every ASCII character, in and around
  # words, must give the reference's ids.
  ref = transformers.BertTokenizer(
      bert_vocab, do_lower_case=do_lower_case, tokenize_chinese_chars=True,
      strip_accents=None)
  texts = _random_ascii_texts(3000, seed=do_lower_case) + [
      "a" * 100, "a" * 101, "A" * 100 + "!", "!" * 120, "x[SEP]" + "y" * 101]
  got = wordpiece[do_lower_case].encode_batch(texts)
  want = [ref.convert_tokens_to_ids(ref.tokenize(t)) for t in texts]
  bad = [i for i in range(len(texts)) if got[i] != want[i]]
  assert not bad, (
      f"{len(bad)} of {len(texts)} texts differ; first: " +
      _first_difference(texts, got, want, ref.convert_ids_to_tokens))
  assert sum(t.count("[UNK]") for t in map(ref.convert_ids_to_tokens, want))


def test_wordpiece_rules(wordpiece):
  uncased, cased = wordpiece[True], wordpiece[False]
  # Special tokens written in the text stay whole (exact case only).
  assert uncased.tokenize("[CLS] a [SEP] b[MASK]c [cls]") == [
      "[CLS]", "a", "[SEP]", "b", "[MASK]", "c", "[", "cl", "##s", "]"]
  # Over 100 characters is [UNK]; 100 is not. The limit counts characters,
  # not UTF-8 bytes (60 × "β" is 120 bytes).
  assert uncased.tokenize("b" * 101) == ["[UNK]"]
  assert "[UNK]" not in uncased.tokenize("b" * 100)
  assert cased.tokenize("β" * 60) == ["β"] + ["##β"] * 59
  # Accents are stripped only when lower-casing.
  assert uncased.tokenize("Ménière") == ["men", "##iere"]
  assert cased.tokenize("ménière") != cased.tokenize("meniere")
  # No NFKC: the micro sign and mu stay distinct characters, ² is not 2.
  assert uncased.encode("µ") != uncased.encode("μ")
  assert uncased.encode("m²") != uncased.encode("m2")
  # Unicode spaces split words in both casings; control characters vanish.
  assert cased.tokenize("a\u2009b\xa0c") == ["a", "b", "c"]
  assert uncased.tokenize("ab\x00c\u200bd") == ["abc", "##d"]
  assert uncased.tokenize("中文") == ["中", "文"]


def test_wordpiece_api(wordpiece):
  tok = wordpiece[True]
  assert tok.vocab_size == len(tok.vocab) == 30522
  assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (
      0, 100, 101, 102, 103)
  assert (tok.cls_token, tok.sep_token, tok.pad_token, tok.mask_token,
          tok.unk_token) == ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")
  texts = ["The BRCA1 gene.", "", "Sjögren's syndrome (SS)."]
  batch = tok.tokenize_batch(texts)
  assert batch == [tok.tokenize(t) for t in texts]
  assert batch[1] == []
  assert tok.encode_batch(texts) == [tok.convert_tokens_to_ids(t)
                                     for t in batch]
  assert tok.convert_ids_to_tokens(tok.encode(texts[2])) == batch[2]
  assert tok.convert_tokens_to_ids(["the", "not-a-token"]) == [1996, 100]
  assert tok.is_word_start("brca") and tok.is_word_start("[CLS]")
  assert not tok.is_word_start("##1")
  with pytest.raises(tokenization.TokenizerError, match="30522"):
    tok.convert_ids_to_tokens([30522])
  assert tok.tokenize_batch([]) == []


# -------------------------------------------------------------- SentencePiece
# google-research/albert README's spm_train flags, on a small vocabulary;
# one thread and no sampling or shuffling, so training is deterministic.
_SPM_FLAGS = dict(
    model_type="unigram", vocab_size=800, pad_id=0, unk_id=1, eos_id=-1,
    bos_id=-1, control_symbols="[CLS],[SEP],[MASK]",
    user_defined_symbols='(,),",-,.,–,£,€', character_coverage=0.99995,
    num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
    minloglevel=2)


def _train_spm(directory, lines, **flags):
  text_file = os.path.join(directory, "train.txt")
  with open(text_file, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
  prefix = os.path.join(directory, "spm")
  spm.SentencePieceTrainer.train(
      input=text_file, model_prefix=prefix, **{**_SPM_FLAGS, **flags})
  return prefix + ".model"


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory, corpus_lines):
  """A unigram model trained on every 3rd line of the test lines."""
  return _train_spm(str(tmp_path_factory.mktemp("spm")), corpus_lines[::3])


@pytest.fixture(scope="module")
def sentencepiece(spm_model):
  return {do_lower_case: tokenization.SentencePieceTokenizer(
      spm_model, do_lower_case=do_lower_case)
          for do_lower_case in (True, False)}


def _is_score_tie(processor, got, want):
  """Whether two id sequences are equal-score segmentations of one text.

  Unigram SentencePiece picks the best-scoring segmentation; where two score
  the same ("0"+"00" against "00"+"0"), which one wins depends on the order
  of float additions inside the implementation, and tensorflow_text's
  differs from the Python package's on about 1 line in 10,000 (1 of the
  18,313 corpus lines, cased). Scores are float32 in SentencePiece; 1e-3 is
  far below the score gap between any two different pieces of these models.
  """
  score = lambda ids: sum(processor.GetScore(i) for i in ids)
  return (processor.DecodeIds(got) == processor.DecodeIds(want) and
          math.isclose(score(got), score(want), abs_tol=1e-3))


@pytest.mark.parametrize("do_lower_case", [True, False],
                         ids=["uncased", "cased"])
def test_sentencepiece_matches_albert_tokenizer_on_corpus(
    corpus_lines, spm_model, sentencepiece, do_lower_case):
  ref = transformers.AlbertTokenizer(
      spm_model, do_lower_case=do_lower_case, keep_accents=False)
  ours = sentencepiece[do_lower_case]
  processor = spm.SentencePieceProcessor(model_file=spm_model)
  texts = corpus_lines + TARGETED
  got = ours.encode_batch(texts)
  want = [ref.convert_tokens_to_ids(ref.tokenize(t)) for t in texts]
  bad = [i for i in range(len(texts)) if got[i] != want[i]]
  not_ties = [i for i in bad if not _is_score_tie(processor, got[i], want[i])]
  assert not not_ties, (
      f"{len(not_ties)} of {len(texts)} texts differ; first: " +
      _first_difference([texts[i] for i in not_ties],
                        [got[i] for i in not_ties],
                        [want[i] for i in not_ties],
                        ref.convert_ids_to_tokens))
  assert len(bad) <= 5, f"{len(bad)} score ties: more than expected"
  assert sum(map(len, got)) > 300000


def test_sentencepiece_bpe_model(corpus_lines, tmp_path):
  """Non-unigram models take tensorflow_text's other SentencePiece op."""
  model = _train_spm(str(tmp_path), corpus_lines[:600], model_type="bpe",
                     vocab_size=300)
  texts = corpus_lines[:600:3] + TARGETED
  ref = transformers.AlbertTokenizer(model, do_lower_case=True,
                                     keep_accents=False)
  ours = tokenization.SentencePieceTokenizer(model, do_lower_case=True)
  want = [ref.convert_tokens_to_ids(ref.tokenize(t)) for t in texts]
  got = ours.encode_batch(texts)
  assert got == want, _first_difference(texts, got, want,
                                        ref.convert_ids_to_tokens)


def test_sentencepiece_preprocessing(spm_model, sentencepiece):
  ref = transformers.AlbertTokenizer(spm_model, do_lower_case=True,
                                     keep_accents=False)
  ours = sentencepiece[True]
  assert ours.tokenize("``Quoted''") == ours.tokenize('"quoted"')
  assert ours.tokenize("  Sjögren \t\xa0 NF-κB ") == ours.tokenize(
      "sjogren nf-κb")
  assert ours.tokenize("[CLS] a [SEP]") == ["[CLS]", *ours.tokenize("a"),
                                            "[SEP]"]
  assert ours.tokenize("x[MASK]") == ref.tokenize("x[MASK]")
  assert ours.tokenize("") == []


def test_sentencepiece_digit_comma_rule(spm_model, tmp_path):
  """ALBERT's encode_pieces re-splits pieces ending in a digit and ",".

  The trained model has no such pieces, so some are added to it (with the
  best score, so that SentencePiece uses them).
  """
  proto = sentencepiece_model_pb2.ModelProto()
  with open(spm_model, "rb") as f:
    proto.ParseFromString(f.read())
  added = ["\u25811990,", "0,", "\u25813,", "12,", "\u2581BRCA1,"]
  for piece in added:
    proto.pieces.add(piece=piece, score=0.0)
  path = str(tmp_path / "digit_comma.model")
  with open(path, "wb") as f:
    f.write(proto.SerializeToString())
  processor = spm.SentencePieceProcessor(model_file=path)
  texts = ["In 1990, 3, 12, and x10, y12,5 BRCA1, 1990,000 (1990,)",
           "1990, 2010, 120, a0, 3,"]
  for text in texts:
    assert set(processor.EncodeAsPieces(text)) & set(added)  # Rule applies.
  for do_lower_case in (True, False):
    ref = transformers.AlbertTokenizer(path, do_lower_case=do_lower_case,
                                       keep_accents=False)
    ours = tokenization.SentencePieceTokenizer(path,
                                               do_lower_case=do_lower_case)
    want = [ref.convert_tokens_to_ids(ref.tokenize(t)) for t in texts]
    assert ours.encode_batch(texts) == want
    for tokens in ours.tokenize_batch(texts):
      assert not set(tokens) & set(added)


def test_sentencepiece_api(sentencepiece):
  tok = sentencepiece[True]
  assert tok.vocab_size == len(tok.vocab) == 800
  # The ids the ALBERT spm_train flags give.
  assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (
      0, 1, 2, 3, 4)
  assert (tok.pad_token, tok.unk_token) == ("<pad>", "<unk>")
  texts = ["The BRCA1 gene.", "", "Mutations, 1990."]
  batch = tok.tokenize_batch(texts)
  assert batch == [tok.tokenize(t) for t in texts]
  assert tok.encode_batch(texts) == [tok.convert_tokens_to_ids(t)
                                     for t in batch]
  assert tok.is_word_start("\u2581the") and tok.is_word_start(",")
  assert tok.is_word_start("<unk>") and tok.is_word_start("[SEP]")
  assert not tok.is_word_start("ing")
  # ALBERT's third rule: a character outside a-z and its punctuation set
  # (after lower-casing) makes a piece a word start; a-z and that
  # punctuation alone do not.
  for piece in ("1990", "s2", "\u00e9", "\u2013", ">", "\u03b1b", "\u20ac"):
    assert tok.is_word_start(piece), piece
  for piece in ("ING", "-ing", "a.b", "(s"):
    assert not tok.is_word_start(piece), piece


# ------------------------------------------------------- graph and SavedModel
def test_tf_tokenize_in_tf_function_and_saved_model(wordpiece, sentencepiece,
                                                    tmp_path):
  texts = ["Sjögren's syndrome: 5 µM [MASK].", "", "NF-κB 1990, 3,000"]
  module = tf.Module()
  module.wordpiece = wordpiece[True]
  module.sentencepiece = sentencepiece[True]
  signature = [tf.TensorSpec([None], tf.string)]
  module.wordpiece_ids = tf.function(
      lambda s: module.wordpiece.tf_tokenize(s), input_signature=signature)
  module.sentencepiece_ids = tf.function(
      lambda s: module.sentencepiece.tf_tokenize(s), input_signature=signature)
  for name in ("wordpiece", "sentencepiece"):
    tok = getattr(module, name)
    ids = getattr(module, name + "_ids")(tf.constant(texts))
    assert ids.dtype == tf.int32
    assert ids.to_list() == [tok.convert_tokens_to_ids(tok.tokenize(t))
                             for t in texts]
  tf.saved_model.save(module, str(tmp_path / "saved"))
  loaded = tf.saved_model.load(str(tmp_path / "saved"))
  for name in ("wordpiece", "sentencepiece"):
    tok = getattr(module, name)
    ids = getattr(loaded, name + "_ids")(tf.constant(texts))
    assert ids.to_list() == tok.encode_batch(texts)


# ------------------------------------------------------------------- errors
def _write(path, text, mode="w"):
  with open(path, mode) as f:
    f.write(text)
  return str(path)


def test_missing_special_tokens_are_named(tmp_path):
  vocab = _write(tmp_path / "vocab.txt", "[UNK]\n[CLS]\n[SEP]\nthe\n")
  with pytest.raises(tokenization.TokenizerError) as error:
    tokenization.WordpieceTokenizer(vocab)
  assert vocab in str(error.value)
  assert "[PAD]" in str(error.value) and "[MASK]" in str(error.value)
  assert "[CLS]" not in str(error.value)
  assert isinstance(error.value, ValueError)


def test_sentencepiece_without_albert_control_symbols(corpus_lines, tmp_path):
  model = _train_spm(str(tmp_path), corpus_lines[:300], vocab_size=200,
                     control_symbols="[CLS]", user_defined_symbols="")
  with pytest.raises(tokenization.TokenizerError,
                     match=r"spm\.model: .*\[SEP\], \[MASK\]"):
    tokenization.SentencePieceTokenizer(model)


@pytest.mark.parametrize("content, message", [
    (b"[PAD]\n[UNK]\n\n[CLS]\n", r"vocab\.txt:3: expected one token"),
    (b"[PAD]\n[UNK]\n[PAD]\n", r"vocab\.txt:3: token '\[PAD\]' repeats line 1"),
    (b"[PAD]\n\xff\xfe\n", r"vocab\.txt: byte 6: vocab file is not UTF-8"),
    (b"", r"vocab\.txt: vocab file is empty"),
])
def test_bad_vocab_files(tmp_path, content, message):
  vocab = _write(tmp_path / "vocab.txt", content, mode="wb")
  with pytest.raises(tokenization.TokenizerError, match=message):
    tokenization.WordpieceTokenizer(vocab)


def test_unreadable_files(tmp_path):
  missing = str(tmp_path / "nope" / "vocab.txt")
  with pytest.raises(tokenization.TokenizerError,
                     match="nope/vocab.txt: WordPiece vocab file not found"):
    tokenization.WordpieceTokenizer(missing)
  with pytest.raises(tokenization.TokenizerError,
                     match="nope.model: SentencePiece model not found"):
    tokenization.SentencePieceTokenizer(str(tmp_path / "nope.model"))
  (tmp_path / "adir").mkdir()
  with pytest.raises(tokenization.TokenizerError,
                     match=r"/adir: cannot read WordPiece vocab file \(Is a "
                           r"directory\)$"):
    tokenization.WordpieceTokenizer(str(tmp_path / "adir"))
  garbage = _write(tmp_path / "garbage.model", b"\x00not a model", mode="wb")
  with pytest.raises(tokenization.TokenizerError,
                     match="garbage.model: not a SentencePiece model"):
    tokenization.SentencePieceTokenizer(garbage)


def test_build_tokenizer(bert_vocab, spm_model):
  assert isinstance(tokenization.build_tokenizer(vocab_file=bert_vocab),
                    tokenization.WordpieceTokenizer)
  tok = tokenization.build_tokenizer(vocab_file=bert_vocab,
                                     spm_model_file=spm_model,
                                     do_lower_case=False)
  assert isinstance(tok, tokenization.SentencePieceTokenizer)
  assert not tok.do_lower_case
  with pytest.raises(tokenization.TokenizerError, match="expected vocab_file"):
    tokenization.build_tokenizer()


# ------------------------------------------------------------------ casing
# What the checkpoint says, not a flag default: hand-made vocabularies whose
# casing is known by construction.
_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]"]


def test_casing_from_a_wordpiece_vocabulary(tmp_path):
  uncased = _write(tmp_path / "uncased.txt", "\n".join(
      _SPECIALS + ["the", "cell", "##s", "ℝ", "##ℝ", "μ", "1990"]) + "\n")
  cased = _write(tmp_path / "cased.txt", "\n".join(
      _SPECIALS + ["the", "The", "cell", "##s", "DNA", "##A"]) + "\n")
  no_letters = _write(tmp_path / "digits.txt", "\n".join(
      _SPECIALS + ["1", "2", "##3", "."]) + "\n")
  # Special tokens ([PAD], [unused0]) and letters without a lower-case form
  # (ℝ, which Google's uncased vocabulary has) do not make a vocabulary cased.
  assert tokenization.infer_do_lower_case(vocab_file=uncased) is True
  assert tokenization.infer_do_lower_case(vocab_file=cased) is False
  assert tokenization.infer_do_lower_case(vocab_file=no_letters) is None
  source = tokenization.casing_evidence(vocab_file=cased).source
  assert source.startswith(f"{cased} is cased") and "'The'" in source
  # Google's released uncased vocabulary reads as uncased.
  google = shared_path("vocab", "bert-base-uncased", "vocab.txt")
  assert tokenization.infer_do_lower_case(vocab_file=google) is True


def test_casing_a_stray_entry_does_not_flip_a_large_vocabulary(tmp_path):
  words = [f"w{chr(97 + i % 26)}{i}" for i in range(1000)]
  one_stray = _write(tmp_path / "v.txt", "\n".join(
      _SPECIALS + words + ["PMID"]) + "\n")
  assert tokenization.infer_do_lower_case(vocab_file=one_stray) is True


def test_casing_from_config_and_preset_wins_over_vocabulary(tmp_path):
  cased = _write(tmp_path / "cased.txt",
                 "\n".join(_SPECIALS + ["The", "cell"]) + "\n")
  config = _write(tmp_path / "tokenizer_config.json",
                  '{"do_lower_case": true, "model_max_length": 512}')
  assert tokenization.infer_do_lower_case(cased, tokenizer_config=config)
  no_key = _write(tmp_path / "other.json", '{"model_max_length": 512}')
  assert tokenization.infer_do_lower_case(cased,
                                          tokenizer_config=no_key) is False
  assert tokenization.infer_do_lower_case(
      tokenizer_config={"do_lower_case": False}) is False
  assert tokenization.infer_do_lower_case(
      cased, tokenizer_config=config,
      preset="biobert-base-cased-v1.1") is False
  assert tokenization.infer_do_lower_case(
      preset="bluebert-base-uncased-pubmed") is True
  bad = _write(tmp_path / "bad.json", "{not json")
  with pytest.raises(tokenization.TokenizerError, match="bad.json: not valid JSON"):
    tokenization.infer_do_lower_case(tokenizer_config=bad)


def test_casing_from_a_sentencepiece_model(tmp_path):
  lines = ["The Cell Line HeLa was used in DNA Studies of Cancer Cells.",
           "Protein Binding and Gene Expression in Human Tumors."] * 20
  flags = dict(vocab_size=60, control_symbols="[CLS],[SEP],[MASK]",
               hard_vocab_limit=False)
  (tmp_path / "a").mkdir()
  (tmp_path / "b").mkdir()
  (tmp_path / "c").mkdir()
  cased = _train_spm(str(tmp_path / "a"), lines, **flags)
  lowered = _train_spm(str(tmp_path / "b"), [l.lower() for l in lines],
                       **flags)
  folding = _train_spm(str(tmp_path / "c"), lines,
                       normalization_rule_name="nmt_nfkc_cf", **flags)
  assert tokenization.infer_do_lower_case(spm_model_file=cased) is False
  assert tokenization.infer_do_lower_case(spm_model_file=lowered) is True
  casing = tokenization.casing_evidence(spm_model_file=folding)
  assert casing.do_lower_case is True and "nmt_nfkc_cf" in casing.source


def test_resolve_do_lower_case(tmp_path):
  cased = _write(tmp_path / "vocab.txt",
                 "\n".join(_SPECIALS + ["The", "cell"]) + "\n")
  digits = _write(tmp_path / "digits.txt", "\n".join(_SPECIALS + ["1"]) + "\n")
  assert tokenization.resolve_do_lower_case(None, cased) is False
  assert tokenization.resolve_do_lower_case(False, cased) is False
  # No evidence: the request, else the default.
  assert tokenization.resolve_do_lower_case(None, digits) is True
  assert tokenization.resolve_do_lower_case(False, digits) is False
  # A contradiction names both, on one line.
  with pytest.raises(tokenization.TokenizerError) as error:
    tokenization.resolve_do_lower_case(True, cased)
  message = str(error.value)
  assert message == (f"--do_lower_case=true contradicts the checkpoint: "
                     f"{cased} is cased (word pieces with upper-case letters "
                     "such as 'The'); pass --do_lower_case=false or leave it "
                     "out")
  with pytest.raises(tokenization.TokenizerError,
                     match="preset biobert-base-cased-v1.1 is cased"):
    tokenization.resolve_do_lower_case(True, preset="biobert-base-cased-v1.1")
