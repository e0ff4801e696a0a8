"""Vocabulary learning: WordPiece (BERT style) and SentencePiece (ALBERT)."""
import biom_tf  # noqa: F401
import pytest

from biom_tf import tokenization
from tests.tfrecords.conftest import synthetic_documents
from tests.tfrecords.conftest import write_corpus
from tfrecords import corpus
from tfrecords import vocab


@pytest.fixture
def text(tmp_path):
  docs = synthetic_documents(200, seed=1)
  docs.append(["The BRCA1 Gene, Kinase-Dead: naïve Cells (n = 12)."])
  return write_corpus(tmp_path / "corpus.txt", docs)


@pytest.mark.parametrize("lower", [True, False])
def test_wordpiece_vocab(text, tmp_path, lower):
  out = str(tmp_path / "v" / "vocab.txt")
  summary = vocab.learn_wordpiece_vocab(text, out, vocab_size=120,
                                        do_lower_case=lower, num_unused=3)
  tokens = tokenization.load_vocab(out)
  assert tokens[:8] == ["[PAD]", "[unused0]", "[unused1]", "[unused2]",
                        "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
  assert len(tokens) == summary.vocab_size <= 120
  tok = tokenization.WordpieceTokenizer(out, do_lower_case=lower)
  pieces = tok.tokenize("kinase protein BRCA1 naïve")
  assert "[UNK]" not in pieces
  assert ("b" in pieces) == lower and ("B" in pieces) != lower
  assert "kinase" in tokens and "protein" in tokens


def test_sentencepiece_model_is_albert_style(text, tmp_path):
  prefix = str(tmp_path / "spm")
  summary = vocab.train_sentencepiece(text, prefix, vocab_size=40)
  assert summary.outputs == [prefix + ".model", prefix + ".vocab"]
  tok = tokenization.SentencePieceTokenizer(prefix + ".model")
  assert tok.vocab[:5] == ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
  assert tok.vocab[5:13] == ["(", ")", "\u201d", "-", ".", "\u2013",
                             "\u00a3", "\u20ac"]
  assert (tok.pad_id, tok.unk_id, tok.cls_id) == (0, 1, 2)
  assert all(p.islower() or not p.isalpha()
             for p in tok.tokenize("The BRCA1 Gene"))
  with open(prefix + ".vocab", encoding="utf-8") as f:
    assert len(f.read().splitlines()) == 40


def test_bad_requests_are_named(text, tmp_path):
  with pytest.raises(vocab.VocabError, match="--vocab_size=5"):
    vocab.learn_wordpiece_vocab(text, str(tmp_path / "v.txt"), vocab_size=5,
                                num_unused=0)
  with pytest.raises(corpus.CorpusError, match="nope.txt"):
    vocab.learn_wordpiece_vocab(str(tmp_path / "nope.txt"),
                                str(tmp_path / "v.txt"), vocab_size=100,
                                num_unused=0)
  with pytest.raises(vocab.VocabError, match="SentencePiece"):
    vocab.train_sentencepiece(text, str(tmp_path / "s"), vocab_size=100000)
  assert not (tmp_path / "s.model").exists()


def test_separator_characters_do_not_break_the_vocabulary(tmp_path):
  """Real PubMed text holds U+2029 (PARAGRAPH SEPARATOR) inside lines.

  The basic tokenizer keeps it as a word; before the fix the learner wrote it
  as a vocab.txt line, and `load_vocab` refused its own output (found
  building a vocabulary on ../shared/data/corpus).
  """
  docs = synthetic_documents(60, seed=2)
  docs.append(["Kinase activity \u2029 was measured \u0085 twice."] * 30)
  text = write_corpus(tmp_path / "corpus.txt", docs)
  out = str(tmp_path / "vocab.txt")
  vocab.learn_wordpiece_vocab(text, out, vocab_size=120, num_unused=0)
  tokens = tokenization.load_vocab(out)
  assert all(t == t.strip() and t for t in tokens)
