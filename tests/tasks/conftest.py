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


# Toy NER data: disease mentions among filler words.
ENTITIES = {"breast cancer": ["B-Disease", "I-Disease"],
            "fever": ["B-Disease"], "colon tumors": ["B-Disease", "I-Disease"]}
FILLER = ["the", "patient", "had", "with", "mild", "and", "no", "today"]


def toy_sentence(rng, n_min=3, n_max=12, entities=None):
  """[(token, tag), ...]: n_min..n_max words or mentions (from `entities`,
  {mention: tags}, default ENTITIES), drawn from `rng`."""
  entities = entities or ENTITIES
  tokens = []
  for _ in range(rng.randint(n_min, n_max)):
    if rng.random() < 0.3:
      entity = rng.choice(list(entities))
      tokens += list(zip(entity.split(), entities[entity]))
    else:
      tokens.append((rng.choice(FILLER), "O"))
  return tokens


def one_line(error, starts_with):
  """The message of a raised error (pytest's ExceptionInfo), checked to be
  one line starting with `starts_with` (the file, and line, it names)."""
  message = str(error.value)
  assert "\n" not in message, message
  assert message.startswith(starts_with), message
  return message


def write_files(directory, files):
  """files: {name: text} → files in `directory` (created if needed)."""
  os.makedirs(directory, exist_ok=True)
  for name, text in files.items():
    with open(os.path.join(directory, name), "w") as f:
      f.write(text)
  return str(directory)


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
