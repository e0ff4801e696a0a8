"""Tiny fixtures for the task tests: a WordPiece vocab, a model config, data."""
import json
import os

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import pytest

from biom_tf.configs import ModelConfig

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """the a patient had has with and or of in no but is was mild severe
breast colon cancer tumor fever diabetes disease today cell cells protein
gene drug inhibits activates binds binding inhibitor effect yes maybe
what which does do cause causes chemical , . ( ) - << >> [[ ]] @ $ chemical
gene ? carcin < > [ ]""".split()
PIECES = ["##oma", "##s", "##ic", "##al"]


@pytest.fixture(scope="session")
def vocab_file(tmp_path_factory):
  path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
  tokens = SPECIALS + sorted(set(WORDS)) + PIECES
  path.write_text("\n".join(tokens) + "\n")
  return str(path)


@pytest.fixture(scope="session")
def tokenizer(vocab_file):
  from biom_tf.tokenization import WordpieceTokenizer
  return WordpieceTokenizer(vocab_file, do_lower_case=True)


def tiny_config(family="bert", vocab_size=96):
  return ModelConfig(family=family, vocab_size=vocab_size, hidden_size=32,
                     num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64,
                     embedding_size=None if family == "bert" else 16)


def write_ner(directory, splits):
  """splits: {name: [[(token, tag), ...], ...]} → token<TAB>tag files."""
  os.makedirs(directory, exist_ok=True)
  for name, sentences in splits.items():
    with open(os.path.join(directory, name), "w") as f:
      for sentence in sentences:
        for token, tag in sentence:
          f.write(f"{token}\t{tag}\n")
        f.write("\n")
  return str(directory)


def write_jsonl(path, rows):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    for row in rows:
      f.write(json.dumps(row) + "\n")
  return str(path)


def squad_json(questions, impossible=False):
  context = "The breast cancer cells had a mutation of the gene ."
  qas = []
  for qid, question, answer in questions:
    qa_entry = {"id": qid, "question": question,
                "answers": [{"text": answer,
                             "answer_start": context.index(answer)}]}
    if impossible:
      qa_entry["is_impossible"] = False
    qas.append(qa_entry)
  return {"version": "1.1", "data": [{"title": "t", "paragraphs": [
      {"context": context, "qas": qas}]}]}


def write_squad(directory, impossible=False):
  os.makedirs(directory, exist_ok=True)
  for split in ("train", "dev", "test"):
    with open(os.path.join(directory, f"{split}.json"), "w") as f:
      json.dump(squad_json([(f"{split}1", "which cells ?", "breast cancer cells"),
                            (f"{split}2", "what gene ?", "the gene")],
                           impossible), f)
  return str(directory)
