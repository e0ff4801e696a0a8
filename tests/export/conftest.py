"""Fixtures of the export tests: tiny vocabularies and randomized models."""
import pytest

import biom_tf  # noqa: F401

TEXTS = ["The BRCA1 gene mutations cause breast cancer.",
         "Aspirin reduces the risk of heart disease in patients",
         "Unknown words: Zyxqv, tumour-suppressor; 12,5 mg!"]

_WORDS = ("the gene mutation ##s cause breast cancer . aspirin reduce risk of "
          "heart disease in patient , : ; ! - mg 12 5 brca ##1 un ##known word "
          "tumour suppress ##or zy ##x ##q ##v").split()
WORDPIECE_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + _WORDS + [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "v", "w", "x", "y", "z", "1", "2"]

_SPM_CORPUS = [
    "the gene mutations cause breast cancer in many patients",
    "aspirin reduces the risk of heart disease and stroke",
    "tumour suppressor genes such as brca1 and tp53 are mutated",
    "the patients received 12 mg of the drug twice a day",
    "protein kinase inhibitors block the signalling pathway",
] * 20


@pytest.fixture(scope="session")
def vocab_file(tmp_path_factory):
  path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
  path.write_text("\n".join(WORDPIECE_VOCAB) + "\n")
  return str(path)


@pytest.fixture(scope="session")
def spm_model_file(tmp_path_factory):
  """A SentencePiece model trained as ALBERT's: <pad>=0, <unk>=1, [CLS]..."""
  spm = pytest.importorskip("sentencepiece")
  directory = tmp_path_factory.mktemp("spm")
  corpus = directory / "corpus.txt"
  corpus.write_text("\n".join(_SPM_CORPUS) + "\n")
  spm.SentencePieceTrainer.Train(
      input=str(corpus), model_prefix=str(directory / "30k-clean"),
      vocab_size=60, model_type="unigram", hard_vocab_limit=False, pad_id=0, unk_id=1, bos_id=-1,
      eos_id=-1, control_symbols="[CLS],[SEP],[MASK]",
      character_coverage=1.0, minloglevel=2)
  return str(directory / "30k-clean.model")
