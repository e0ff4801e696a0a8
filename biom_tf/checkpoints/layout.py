"""The biom layout, and the file names each checkpoint format uses.

biom (ours): `ckpt-1.*` (`tf.train.Checkpoint(model=...)`) + `BIOM_META`
(family, original-format config, head, num_outputs, labels, do_lower_case)
+ the vocabulary; written by `convert.write(..., "biom")`, by fine-tuning
(`save_finetuned_model`) and read by `convert.load` and `detect`.
TF1 (the originals): `TF1_NAMES[family]` = (checkpoint prefix, config file).
Hugging Face: `huggingface.CONFIG_NAME`, `huggingface.WEIGHTS_NAME`.
Any format: `checkpoint_directory` (where its files sit), `casing_file`
(the file there that records its casing) and `find_tokenizer_files` (its
vocabulary: `VOCAB_NAME`, or a SentencePiece model named as in `SPM_NAMES`).
"""
import dataclasses
import os
from typing import List, Optional

import tensorflow as tf

from biom_tf import fileio
from biom_tf.configs import CONFIG_FILE_NAMES
from biom_tf.checkpoints.integrity import CheckpointError
from biom_tf.configs import ModelConfig

INPUT_FORMATS = ("tf1", "hf", "biom")
OUTPUT_FORMATS = ("tf1", "hf", "savedmodel", "biom")
BIOM_META = "biom_model.json"
# family → (checkpoint prefix, config file) as the originals name them.
TF1_NAMES = {family: (prefix, CONFIG_FILE_NAMES[family]) for family, prefix in
             (("bert", "bert_model.ckpt"), ("albert", "model.ckpt"),
              ("electra", "model.ckpt"))}

# The vocabulary beside a checkpoint: WordPiece, or SentencePiece (Hugging
# Face's name first, then the ALBERT release's).
VOCAB_NAME = "vocab.txt"
SPM_NAMES = ("spiece.model", "30k-clean.model")


@dataclasses.dataclass
class LoadedModel:
  """A model read from some format, with what is needed to write it out."""
  model: object                 # pretrainer or FineTuningModel (built)
  config: ModelConfig
  head: Optional[str] = None    # None: a pretrainer
  num_outputs: int = 0
  labels: List[str] = dataclasses.field(default_factory=list)
  vocab_file: Optional[str] = None
  spm_model_file: Optional[str] = None
  do_lower_case: bool = True


def read_biom_meta(directory: str) -> Optional[dict]:
  """The `BIOM_META` of a biom directory, or None where there is none."""
  path = os.path.join(directory, BIOM_META)
  if not tf.io.gfile.exists(path):
    return None
  return fileio.read_json_object(path, CheckpointError, "biom export metadata")


def checkpoint_directory(path: Optional[str]) -> Optional[str]:
  """The directory a checkpoint's files sit in: the path itself for a Hugging
  Face or biom directory, the prefix's directory for TF1 (None for None)."""
  if not path:
    return None
  if tf.io.gfile.isdir(path):
    return path.rstrip("/")
  return os.path.dirname(path) or "."


def casing_file(directory: Optional[str]) -> Optional[str]:
  """The file in a checkpoint's directory that records its casing, or None.

  Our `BIOM_META` where it records `do_lower_case` (a biom export: written
  with the checkpoint by `convert.write(..., "biom")`), else Hugging Face's
  tokenizer_config.json (written by `convert.write(..., "hf")`; neither
  writer puts both in one directory).
  """
  if not directory:
    return None
  meta = read_biom_meta(directory)
  if meta is not None and isinstance(meta.get("do_lower_case"), bool):
    return os.path.join(directory, BIOM_META)
  path = os.path.join(directory, "tokenizer_config.json")
  return path if tf.io.gfile.exists(path) else None


def find_tokenizer_files(directory: Optional[str], vocab_file: Optional[str],
                         spm_model_file: Optional[str]):
  """(vocab_file, spm_model_file): those given, else the ones found in
  `directory` (a SentencePiece model first), else (None, None)."""
  if (vocab_file or spm_model_file or not directory or
      not tf.io.gfile.isdir(directory)):
    return vocab_file, spm_model_file
  for name in SPM_NAMES:
    if tf.io.gfile.exists(os.path.join(directory, name)):
      return None, os.path.join(directory, name)
  if tf.io.gfile.exists(os.path.join(directory, VOCAB_NAME)):
    return os.path.join(directory, VOCAB_NAME), None
  return None, None
