"""Helpers for the data-creation tests: small vocabularies and corpora."""
import biom_tf  # noqa: F401
import pytest

from tests.conftest import shared_path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_vocab(path, words=(), specials=SPECIALS):
  """A WordPiece vocab.txt: specials, letters and ##letters, punctuation,
  then `words`. Every lower-case ASCII word tokenizes without [UNK]."""
  tokens = list(specials) + list(LETTERS) + ["##" + c for c in LETTERS]
  tokens += list(".,;:()-") + [str(d) for d in range(10)]
  tokens += ["##" + str(d) for d in range(10)]
  tokens += [w for w in words if w not in tokens]
  path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
  return str(path)


def write_corpus(path, documents):
  """Documents (lists of sentences) in the original corpus format."""
  text = "\n\n".join("\n".join(doc) for doc in documents) + "\n"
  path.write_text(text, encoding="utf-8")
  return str(path)


def synthetic_documents(num_documents, sentences=6, words=8, seed=0):
  """Plain lower-case documents with sentences of varied length."""
  import random
  rng = random.Random(seed)
  vocab = ["alpha", "beta", "gamma", "delta", "kinase", "protein", "cell",
           "gene", "tumor", "mouse", "assay", "dose"]
  docs = []
  for _ in range(num_documents):
    doc = []
    for _ in range(rng.randint(1, sentences)):
      n = rng.randint(2, words * 2)
      doc.append(" ".join(rng.choice(vocab) for _ in range(n)) + ".")
    docs.append(doc)
  return docs


@pytest.fixture
def small_vocab(tmp_path):
  return write_vocab(tmp_path / "vocab.txt",
                     ["alpha", "beta", "gamma", "delta", "kinase", "protein",
                      "cell", "gene", "tumor", "mouse", "assay", "dose"])


@pytest.fixture
def bert_vocab():
  return shared_path("vocab", "bert-base-uncased", "vocab.txt")


@pytest.fixture
def ncbi_corpus():
  return shared_path("data", "corpus", "pubmed_ncbi_disease.txt")
