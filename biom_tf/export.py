"""Convert a model between checkpoint formats: TF1, Hugging Face, SavedModel, biom.

  export(model_family, input, input_format, output, output_format,
         config_file=None, vocab_file=None, spm_model_file=None, ...)

Input formats: `tf1` (original google-research checkpoint; the config file is
`--config_file` or found beside it), `hf` (a transformers directory with
model.safetensors; pickle files are refused), `biom` (our object-based
`tf.train.Checkpoint(model=...)` plus `biom_model.json`).
Output formats (each a directory, staged under a temporary name next to
`output` and renamed into place only when complete):

  tf1        `bert_model.ckpt.*` + `bert_config.json` (BERT),
             `model.ckpt.*` + `albert_config.json` (ALBERT),
             `model.ckpt.*` + `electra_config.json` (ELECTRA: discriminator
             under `electra/`, generator under `generator/`, as the original
             writes them), + `vocab.txt` or the SentencePiece model;
  hf         config.json, model.safetensors, tokenizer files; ELECTRA also
             `generator/` (ElectraForMaskedLM; see `checkpoints.huggingface`
             for its GELU caveat);
  savedmodel the TF Hub BERT conventions (`checkpoints.savedmodel`);
  biom       `ckpt-1.*` + `biom_model.json` (+ the vocabulary).

A fine-tuned model (`biom_tf.models.heads.FineTuningModel`) is exported with
its head: `hf` writes the matching `*For...` class.
"""
import dataclasses
import json
import os
import shutil
import tempfile
from typing import List, Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf

from biom_tf import models
from biom_tf.checkpoints import huggingface
from biom_tf.checkpoints import tf1
from biom_tf.configs import ConfigError
from biom_tf.configs import FAMILIES
from biom_tf.configs import ModelConfig
from biom_tf.configs import find_config_file

INPUT_FORMATS = ("tf1", "hf", "biom")
OUTPUT_FORMATS = ("tf1", "hf", "savedmodel", "biom")
BIOM_META = "biom_model.json"
TF1_NAMES = {"bert": ("bert_model.ckpt", "bert_config.json"),
             "albert": ("model.ckpt", "albert_config.json"),
             "electra": ("model.ckpt", "electra_config.json")}


class ExportError(ValueError):
  """Input that cannot be converted: names the file or flag and what was expected."""


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


# ------------------------------------------------------------------ build
def build_model(config: ModelConfig, head: Optional[str] = None,
                num_outputs: int = 0):
  if head is None:
    return models.build_pretrainer(config)
  from biom_tf.models import heads  # pylint: disable=import-outside-toplevel
  return heads.build_finetuning_model(config, head, num_outputs)


def _find_tokenizer_files(directory: str, vocab_file, spm_model_file):
  """Vocabulary files given, else found in the input directory."""
  if (vocab_file or spm_model_file or not directory or
      not tf.io.gfile.isdir(directory)):
    return vocab_file, spm_model_file
  for name in ("spiece.model", "30k-clean.model"):
    if tf.io.gfile.exists(os.path.join(directory, name)):
      return None, os.path.join(directory, name)
  if tf.io.gfile.exists(os.path.join(directory, "vocab.txt")):
    return os.path.join(directory, "vocab.txt"), None
  return None, None


def _check_family(family: str):
  if family not in FAMILIES:
    raise ExportError(f"--model_family={family!r}: expected one of {FAMILIES}")


# ------------------------------------------------------------------- read
def load(model_family: str, input: str, input_format: str,  # pylint: disable=redefined-builtin
         config_file: Optional[str] = None, vocab_file: Optional[str] = None,
         spm_model_file: Optional[str] = None,
         do_lower_case: Optional[bool] = None) -> LoadedModel:
  """Reads a model in `input_format` from `input`."""
  _check_family(model_family)
  if input_format not in INPUT_FORMATS:
    raise ExportError(f"--input_format={input_format!r}: expected one of "
                      f"{INPUT_FORMATS}")
  if not tf.io.gfile.exists(input) and not tf.io.gfile.exists(input + ".index"):
    raise ExportError(f"{input}: input not found")
  directory = input if tf.io.gfile.isdir(input) else os.path.dirname(input)
  if input_format == "hf":
    return _load_hf(model_family, input, vocab_file, spm_model_file,
                    do_lower_case)
  if input_format == "biom":
    return _load_biom(model_family, directory, vocab_file, spm_model_file,
                      do_lower_case)
  config_file = config_file or find_config_file(directory)
  if not config_file:
    raise ExportError(f"{input}: no config file beside the checkpoint; pass "
                      "--config_file")
  config = ModelConfig.from_json_file(config_file, model_family)
  model = build_model(config)
  tf1.load_tf1_checkpoint(model, input, config, require_heads=False)
  vocab_file, spm_model_file = _find_tokenizer_files(directory, vocab_file,
                                                     spm_model_file)
  return LoadedModel(model, config, vocab_file=vocab_file,
                     spm_model_file=spm_model_file,
                     do_lower_case=True if do_lower_case is None else do_lower_case)


def _load_hf(family, directory, vocab_file, spm_model_file, do_lower_case):
  config, values = huggingface.read_hf_config(directory, family)
  head = huggingface.head_from_hf(values)
  head_name, num_outputs, labels = head if head else (None, 0, [])
  model = build_model(config, head_name, num_outputs)
  huggingface.load_hf_model(model, directory, config,
                            require_heads=head_name is not None)
  vocab_file, spm_model_file = _find_tokenizer_files(directory, vocab_file,
                                                     spm_model_file)
  if do_lower_case is None:
    do_lower_case = True
    path = os.path.join(directory, "tokenizer_config.json")
    if tf.io.gfile.exists(path):
      with tf.io.gfile.GFile(path) as f:
        do_lower_case = bool(json.load(f).get("do_lower_case", True))
  return LoadedModel(model, config, head_name, num_outputs, labels,
                     vocab_file, spm_model_file, do_lower_case)


def _load_biom(family, directory, vocab_file, spm_model_file, do_lower_case):
  path = os.path.join(directory, BIOM_META)
  if not tf.io.gfile.exists(path):
    raise ExportError(f"{directory}: no {BIOM_META} (not a biom export)")
  with tf.io.gfile.GFile(path) as f:
    meta = json.load(f)
  if meta.get("family") != family:
    raise ExportError(f"{path}: a {meta.get('family')!r} model, not {family!r}")
  config = ModelConfig.from_dict(meta["config"], family, source=path)
  model = build_model(config, meta.get("head"), meta.get("num_outputs", 0))
  prefix = tf.train.latest_checkpoint(directory)
  if prefix is None:
    raise ExportError(f"{directory}: no checkpoint")
  try:
    tf.train.Checkpoint(model=model).read(prefix).assert_existing_objects_matched()
  except (AssertionError, ValueError, tf.errors.OpError) as e:
    raise ExportError(f"{prefix}: does not match the {family} config "
                      f"({str(e).splitlines()[0]})") from None
  vocab_file, spm_model_file = _find_tokenizer_files(directory, vocab_file,
                                                     spm_model_file)
  return LoadedModel(model, config, meta.get("head"), meta.get("num_outputs", 0),
                     meta.get("labels", []), vocab_file, spm_model_file,
                     meta.get("do_lower_case", True) if do_lower_case is None
                     else do_lower_case)


# ------------------------------------------------------------------ write
def _copy_vocab(loaded: LoadedModel, directory: str, names=None) -> List[str]:
  """Copies the vocabulary into `directory`; returns the paths written."""
  out = []
  if loaded.spm_model_file:
    name = (names or {}).get("spm", os.path.basename(loaded.spm_model_file))
    out.append(os.path.join(directory, name))
    tf.io.gfile.copy(loaded.spm_model_file, out[-1], overwrite=True)
  elif loaded.vocab_file:
    out.append(os.path.join(directory, "vocab.txt"))
    tf.io.gfile.copy(loaded.vocab_file, out[-1], overwrite=True)
  return out


def _write_tf1(loaded: LoadedModel, directory: str):
  if loaded.head is not None:
    raise ExportError("--output_format=tf1 writes pretraining checkpoints; "
                      "a fine-tuned model is exported with --output_format=hf, "
                      "savedmodel or biom")
  ckpt, config_name = TF1_NAMES[loaded.config.family]
  tf1.save_tf1_checkpoint(loaded.model, os.path.join(directory, ckpt),
                          loaded.config)
  loaded.config.to_json_file(os.path.join(directory, config_name))
  _copy_vocab(loaded, directory)


def write_hf_tokenizer(loaded: LoadedModel, directory: str):
  """vocab.txt / spiece.model, tokenizer_config.json, special_tokens_map.json
  and tokenizer.json, written by transformers' fast tokenizer classes."""
  import transformers  # pylint: disable=import-outside-toplevel
  family = loaded.config.family
  if loaded.spm_model_file:
    tok = transformers.AlbertTokenizerFast(
        vocab_file=loaded.spm_model_file, do_lower_case=loaded.do_lower_case,
        keep_accents=False, remove_space=True,
        model_max_length=loaded.config.max_position_embeddings)
  else:
    cls = (transformers.ElectraTokenizerFast if family == "electra"
           else transformers.BertTokenizerFast)
    tok = cls(vocab_file=loaded.vocab_file, do_lower_case=loaded.do_lower_case,
              model_max_length=loaded.config.max_position_embeddings)
  tok.save_pretrained(directory)


def _pad_id(loaded: LoadedModel) -> int:
  from biom_tf import tokenization  # pylint: disable=import-outside-toplevel
  return tokenization.build_tokenizer(loaded.vocab_file, loaded.spm_model_file,
                                      loaded.do_lower_case).pad_id


def _write_hf(loaded: LoadedModel, directory: str):
  pad_id = _pad_id(loaded)
  written = huggingface.save_hf_model(loaded.model, directory, loaded.config,
                                      labels=loaded.labels or None,
                                      pad_token_id=pad_id)
  for path in written:
    write_hf_tokenizer(loaded, path)


def _write_biom(loaded: LoadedModel, directory: str):
  tf.train.Checkpoint(model=loaded.model).write(os.path.join(directory, "ckpt-1"))
  with tf.io.gfile.GFile(os.path.join(directory, "checkpoint"), "w") as f:
    f.write('model_checkpoint_path: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-1"\n')
  meta = dict(family=loaded.config.family,
              config=loaded.config.to_original_dict(), head=loaded.head,
              num_outputs=loaded.num_outputs, labels=loaded.labels,
              do_lower_case=loaded.do_lower_case)
  with tf.io.gfile.GFile(os.path.join(directory, BIOM_META), "w") as f:
    f.write(json.dumps(meta, indent=2, sort_keys=True) + "\n")
  _copy_vocab(loaded, directory)


def _write_savedmodel(loaded: LoadedModel, directory: str):
  from biom_tf.checkpoints import savedmodel  # pylint: disable=import-outside-toplevel
  savedmodel.save_savedmodel(loaded, directory)


def _copy_tree(source: str, target: str):
  """Copies a local directory tree to any tf.io.gfile path; all or nothing."""
  try:
    for root, _, files in tf.io.gfile.walk(source):
      relative = os.path.relpath(root, source)
      destination = target if relative == "." else os.path.join(target, relative)
      tf.io.gfile.makedirs(destination)
      for name in files:
        tf.io.gfile.copy(os.path.join(root, name),
                         os.path.join(destination, name), overwrite=True)
  except Exception:
    if tf.io.gfile.exists(target):
      tf.io.gfile.rmtree(target)
    raise


def write(loaded: LoadedModel, output: str, output_format: str) -> str:
  """Writes `loaded` as `output_format` into the new directory `output`."""
  if output_format not in OUTPUT_FORMATS:
    raise ExportError(f"--output_format={output_format!r}: expected one of "
                      f"{OUTPUT_FORMATS}")
  if output_format in ("hf", "savedmodel") and not (loaded.vocab_file or
                                                    loaded.spm_model_file):
    raise ExportError(f"--output_format={output_format} needs the vocabulary: "
                      "pass --vocab_file or --spm_model_file")
  for path in (loaded.vocab_file, loaded.spm_model_file):
    if path and not tf.io.gfile.exists(path):
      raise ExportError(f"{path}: vocabulary file not found")
  output = output.rstrip("/")
  if tf.io.gfile.exists(output) and (not tf.io.gfile.isdir(output) or
                                     tf.io.gfile.listdir(output)):
    raise ExportError(f"{output}: already exists and is not empty")
  # Staged in a local temporary directory (transformers and safetensors write
  # local files only), then moved into place: renamed when `output` is local,
  # copied through tf.io.gfile otherwise (gs://, ram://). Nothing is left at
  # `output` if writing fails.
  local = "://" not in output
  parent = os.path.dirname(os.path.abspath(output)) if local else None
  if local:
    os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=f".tmp-{os.path.basename(output)}-",
                             dir=parent)
  try:
    {"tf1": _write_tf1, "hf": _write_hf, "biom": _write_biom,
     "savedmodel": _write_savedmodel}[output_format](loaded, staging)
    if local:
      if os.path.isdir(output):
        os.rmdir(output)
      os.rename(staging, output)
    else:
      _copy_tree(staging, output)
  finally:
    if os.path.exists(staging):
      shutil.rmtree(staging)
  return output


def export(model_family: str, input: str, input_format: str, output: str,  # pylint: disable=redefined-builtin
           output_format: str, config_file: Optional[str] = None,
           vocab_file: Optional[str] = None,
           spm_model_file: Optional[str] = None,
           do_lower_case: Optional[bool] = None) -> str:
  """Reads `input` (input_format) and writes `output` (output_format).

  Returns the output directory. Raises a ValueError subclass (ExportError,
  ConfigError, CheckpointError, TokenizerError) with a one-line message on
  bad input; nothing is left at `output` then.
  """
  for path in (vocab_file, spm_model_file, config_file):
    if path and not tf.io.gfile.exists(path):
      raise ExportError(f"{path}: file not found")
  loaded = load(model_family, input, input_format, config_file, vocab_file,
                spm_model_file, do_lower_case)
  return write(loaded, output, output_format)


__all__ = ["ExportError", "ConfigError", "LoadedModel", "build_model", "load",
           "write", "export", "write_hf_tokenizer"]
