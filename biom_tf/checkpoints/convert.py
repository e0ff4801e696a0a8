"""Convert a model between checkpoint formats: TF1, Hugging Face, SavedModel, biom.

  export(model_family, input, input_format, output, output_format,
         config_file=None, vocab_file=None, spm_model_file=None, ...)

Input formats: `tf1` (original google-research checkpoint; the config file is
`--config_file` or found beside it), `hf` (a transformers directory with
model.safetensors; pickle files are refused; local or any tf.io.gfile
path), `biom` (our object-based `tf.train.Checkpoint(model=...)` plus
`biom_model.json`, or a `run_pretraining --output_dir`: its latest
checkpoint and the config file it trained with). Checkpoints are read through
`checkpoints.integrity`: damaged files are one line, never a traceback. The
casing (`do_lower_case`) comes with the checkpoint (`tokenizer_config.json`,
`biom_model.json`, or the vocabulary itself); a contradicting flag is an
error naming both.
Output formats (each a directory, staged under a temporary name next to
`output` and renamed into place only when complete):

  tf1        `bert_model.ckpt.*` + `bert_config.json` (BERT),
             `model.ckpt.*` + `albert_config.json` (ALBERT),
             `model.ckpt.*` + `electra_config.json` (ELECTRA: discriminator
             under `electra/`, generator under `generator/`, as the original
             writes them), + `vocab.txt` or the SentencePiece model;
  hf         config.json, model.safetensors, tokenizer files written
             without transformers (`write_hf_tokenizer`); ELECTRA also
             `generator/` (ElectraForMaskedLM; see `checkpoints.huggingface`
             for its GELU caveat);
  savedmodel the TF Hub BERT conventions (`checkpoints.savedmodel`);
  biom       `ckpt-1.*` + `biom_model.json` (+ the vocabulary).

A fine-tuned model (`biom_tf.models.heads.FineTuningModel`) is exported with
its head: `hf` writes the matching `*For...` class. A location that cannot be
written (read-only, full, a failing gs://) is one `ExportError` line, and
nothing is left there; the output directory gets the usual modes (umask).
"""
import os
import tempfile
from typing import Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf

from biom_tf import errors
from biom_tf import fileio
from biom_tf.checkpoints import detect
from biom_tf.checkpoints import huggingface
from biom_tf.checkpoints import layout
from biom_tf.checkpoints.layout import BIOM_META
from biom_tf.checkpoints.layout import INPUT_FORMATS
from biom_tf.checkpoints.layout import LoadedModel
from biom_tf.checkpoints.layout import OUTPUT_FORMATS
from biom_tf.checkpoints.layout import TF1_NAMES
from biom_tf.checkpoints import tf1
from biom_tf.configs import ConfigError
from biom_tf.configs import FAMILIES
from biom_tf.configs import find_config_file
from biom_tf.configs import ModelConfig
from biom_tf import models
from biom_tf.models import heads


class ExportError(ValueError):
  """Input that cannot be converted: names the file or flag and what was expected."""


# ------------------------------------------------------------------ build
def build_model(config: ModelConfig, head: Optional[str] = None,
                num_outputs: int = 0):
  if head is None:
    return models.build_pretrainer(config)
  return heads.build_finetuning_model(config, head, num_outputs)


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
  directory = layout.checkpoint_directory(input)
  if input_format == "hf":
    return _load_hf(model_family, input, vocab_file, spm_model_file,
                    do_lower_case)
  if input_format == "biom":
    return _load_biom(model_family, input, directory, config_file,
                      vocab_file, spm_model_file, do_lower_case)
  config_file = config_file or find_config_file(directory)
  if not config_file:
    raise ExportError(f"{input}: no config file beside the checkpoint; pass "
                      "--config_file")
  config = ModelConfig.from_json_file(config_file, model_family)
  model = build_model(config)
  tf1.load_tf1_checkpoint(model, input, config, require_heads=False)
  vocab_file, spm_model_file = layout.find_tokenizer_files(
      directory, vocab_file, spm_model_file)
  return LoadedModel(model, config, vocab_file=vocab_file,
                     spm_model_file=spm_model_file,
                     do_lower_case=_casing(do_lower_case, vocab_file,
                                           spm_model_file, directory))


def _load_hf(family, directory, vocab_file, spm_model_file, do_lower_case):
  config, values = huggingface.read_hf_config(directory, family)
  head = huggingface.head_from_hf(values)
  head_name, num_outputs, labels = head if head else (None, 0, [])
  model = build_model(config, head_name, num_outputs)
  huggingface.load_hf_model(model, directory, config,
                            require_heads=head_name is not None)
  vocab_file, spm_model_file = layout.find_tokenizer_files(
      directory, vocab_file, spm_model_file)
  return LoadedModel(model, config, head_name, num_outputs, labels,
                     vocab_file, spm_model_file,
                     _casing(do_lower_case, vocab_file, spm_model_file,
                             directory))


def _casing(do_lower_case: Optional[bool], vocab_file, spm_model_file,
            directory: str) -> bool:
  """--do_lower_case checked against the checkpoint's casing.

  The evidence is the input's `layout.casing_file` (`biom_model.json` or
  `tokenizer_config.json`), else the vocabulary itself (upper-case pieces:
  cased); a flag that contradicts it is a one-line error naming both.
  """
  from biom_tf import tokenization  # pylint: disable=import-outside-toplevel
  return tokenization.resolve_do_lower_case(
      do_lower_case, vocab_file=vocab_file, spm_model_file=spm_model_file,
      tokenizer_config=layout.casing_file(directory))


def _load_biom(family, input, directory, config_file, vocab_file,  # pylint: disable=redefined-builtin
               spm_model_file, do_lower_case):
  """A biom export (`biom_model.json` + `ckpt-1`) or a run_pretraining dir.

  A `run_pretraining --output_dir` holds `tf.train.Checkpoint`s of the
  pretrainer (with the optimizer) and the original config file
  (`configs.CONFIG_FILE_NAMES`: `bert_config.json`, `albert_config.json`,
  `electra_config.json`; runs of earlier versions wrote ELECTRA's as
  `bert_config.json`: both are found). `input` may also be one checkpoint
  prefix of the run (e.g. `run/ckpt-2000`); a directory gives its latest
  checkpoint.
  """
  path = os.path.join(directory, BIOM_META)
  meta = layout.read_biom_meta(directory)
  if meta is not None:
    if meta.get("family") != family:
      raise ExportError(f"{path}: a {meta.get('family')!r} model, not {family!r}")
    config = (ModelConfig.from_json_file(config_file, family) if config_file
              else ModelConfig.from_dict(meta["config"], family, source=path))
  else:
    config_file = config_file or find_config_file(directory)
    if not config_file:
      raise ExportError(
          f"{directory}: neither {BIOM_META} (a biom export) nor a config file "
          "(bert_config.json / albert_config.json / electra_config.json of a "
          "run_pretraining output dir); pass --config_file")
    config = ModelConfig.from_json_file(config_file, family)
    meta = {}
  if tf.io.gfile.exists(input + ".index"):
    prefix = input
  else:
    prefix = tf.train.latest_checkpoint(directory)
    if prefix is None:
      raise ExportError(f"{directory}: no checkpoint (expected a "
                        "'checkpoint' file and ckpt-N.index)")
  model = build_model(config, meta.get("head"), meta.get("num_outputs", 0))
  detect.restore_object(model, prefix, family,
                        misfit=f"does not match the {family} config")
  vocab_file, spm_model_file = layout.find_tokenizer_files(
      directory, vocab_file, spm_model_file)
  return LoadedModel(model, config, meta.get("head"), meta.get("num_outputs", 0),
                     meta.get("labels", []), vocab_file, spm_model_file,
                     _casing(do_lower_case, vocab_file, spm_model_file,
                             directory))


# ------------------------------------------------------------------ write
def _copy_vocab(loaded: LoadedModel, directory: str):
  """Copies the vocabulary (SentencePiece model or vocab.txt) into `directory`."""
  if loaded.spm_model_file:
    tf.io.gfile.copy(loaded.spm_model_file, os.path.join(
        directory, os.path.basename(loaded.spm_model_file)), overwrite=True)
  elif loaded.vocab_file:
    tf.io.gfile.copy(loaded.vocab_file, os.path.join(directory, layout.VOCAB_NAME),
                     overwrite=True)


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


_TOKENIZER_CLASS = {"bert": "BertTokenizer", "electra": "ElectraTokenizer",
                    "albert": "AlbertTokenizer"}


def _wordpiece_tokenizer_json(tok, do_lower_case: bool):
  """tokenizer.json (the `tokenizers` library's serialization, format 1.0)
  of a BERT WordPiece tokenizer: BertNormalizer (clean text, CJK split,
  lower-casing and accent stripping when uncased), BertPreTokenizer,
  WordPiece with `##` continuation, `[CLS] A [SEP] (B [SEP])` packing."""
  vocab = {token: i for i, token in enumerate(tok.vocab)}  # no duplicates
  specials = [tok.pad_token, tok.unk_token, tok.cls_token, tok.sep_token,
              tok.mask_token]
  added = [dict(id=vocab[t], content=t, single_word=False, lstrip=False,
                rstrip=False, normalized=False, special=True)
           for t in sorted(set(specials), key=lambda t: vocab[t])]

  def special(token, type_id):
    return {"SpecialToken": {"id": token, "type_id": type_id}}

  def sequence(name, type_id):
    return {"Sequence": {"id": name, "type_id": type_id}}

  cls, sep = tok.cls_token, tok.sep_token
  return {
      "version": "1.0", "truncation": None, "padding": None,
      "added_tokens": added,
      "normalizer": {"type": "BertNormalizer", "clean_text": True,
                     "handle_chinese_chars": True, "strip_accents": None,
                     "lowercase": bool(do_lower_case)},
      "pre_tokenizer": {"type": "BertPreTokenizer"},
      "post_processor": {
          "type": "TemplateProcessing",
          "single": [special(cls, 0), sequence("A", 0), special(sep, 0)],
          "pair": [special(cls, 0), sequence("A", 0), special(sep, 0),
                   sequence("B", 1), special(sep, 1)],
          "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]}
                             for t in (cls, sep)}},
      "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
      "model": {"type": "WordPiece", "unk_token": tok.unk_token,
                "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100, "vocab": vocab},
  }


def write_hf_tokenizer(loaded: LoadedModel, directory: str):
  """Writes the Hugging Face tokenizer files, without `transformers`.

  WordPiece (BERT, ELECTRA): vocab.txt, tokenizer_config.json,
  special_tokens_map.json and tokenizer.json (written here as JSON in the
  `tokenizers` format, so that tokenizers-only consumers load it too).
  SentencePiece (ALBERT): spiece.model, tokenizer_config.json and
  special_tokens_map.json; no tokenizer.json: its normalization lives in
  spiece.model, and transformers builds the fast tokenizer from it.
  `do_lower_case` is the checkpoint's casing (`loaded.do_lower_case`).
  """
  from biom_tf import tokenization  # pylint: disable=import-outside-toplevel
  family = loaded.config.family
  tok = tokenization.build_tokenizer(loaded.vocab_file, loaded.spm_model_file,
                                     loaded.do_lower_case)
  common = dict(do_lower_case=bool(loaded.do_lower_case),
                model_max_length=loaded.config.max_position_embeddings,
                tokenizer_class=_TOKENIZER_CLASS[
                    "albert" if loaded.spm_model_file else family],
                clean_up_tokenization_spaces=True)
  specials = dict(unk_token=tok.unk_token, sep_token=tok.sep_token,
                  pad_token=tok.pad_token, cls_token=tok.cls_token,
                  mask_token=tok.mask_token)
  if loaded.spm_model_file:
    tf.io.gfile.copy(loaded.spm_model_file,
                     os.path.join(directory, layout.SPM_NAMES[0]), overwrite=True)
    # ALBERT's conventions: [CLS]/[SEP] are also bos/eos; the mask token
    # takes the space before it.
    specials.update(bos_token=tok.cls_token, eos_token=tok.sep_token,
                    mask_token=dict(content=tok.mask_token, lstrip=True,
                                    rstrip=False, normalized=False,
                                    single_word=False))
    config = dict(common, remove_space=True, keep_accents=False, **specials)
  else:
    tf.io.gfile.copy(loaded.vocab_file, os.path.join(directory, layout.VOCAB_NAME),
                     overwrite=True)
    config = dict(common, tokenize_chinese_chars=True, strip_accents=None,
                  **specials)
    fileio.write_json(os.path.join(directory, "tokenizer.json"),
                      _wordpiece_tokenizer_json(tok, loaded.do_lower_case),
                      ensure_ascii=False)
  fileio.write_json(os.path.join(directory, "tokenizer_config.json"), config,
                    ensure_ascii=False)
  fileio.write_json(os.path.join(directory, "special_tokens_map.json"),
                    specials, ensure_ascii=False)


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
  tf1.write_checkpoint_file(directory, "ckpt-1")
  fileio.write_json(os.path.join(directory, BIOM_META), dict(
      family=loaded.config.family, config=loaded.config.to_original_dict(),
      head=loaded.head, num_outputs=loaded.num_outputs, labels=loaded.labels,
      do_lower_case=loaded.do_lower_case))
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
  except BaseException:  # also KeyboardInterrupt (SIGINT, SIGTERM)
    try:
      if tf.io.gfile.exists(target):
        tf.io.gfile.rmtree(target)
    except tf.errors.OpError:
      pass  # the original error says more
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
  try:
    return _write_staged(loaded, output, output_format)
  except (OSError, tf.errors.OpError) as e:
    # A read-only or full disk, a gs:// permission or network failure: one
    # line; `_write_staged` has removed what it wrote.
    raise ExportError(f"{output}: cannot write {output_format} output "
                      f"({errors.first_line(e)})") from None


def _umask() -> int:
  mask = os.umask(0o022)
  os.umask(mask)
  return mask


def _write_staged(loaded: LoadedModel, output: str, output_format: str) -> str:
  if tf.io.gfile.exists(output) and (not tf.io.gfile.isdir(output) or
                                     tf.io.gfile.listdir(output)):
    raise ExportError(f"{output}: already exists and is not empty")
  # Staged in a local temporary directory, then moved into place: renamed
  # when `output` is local (staged beside it, so one rename on the same file
  # system), copied through tf.io.gfile otherwise (gs://, ram://). Nothing is
  # left at `output` if writing fails, or if the process is interrupted (the
  # tools turn SIGTERM into KeyboardInterrupt, so that `finally` runs). The
  # staging directory itself is the one local-only step: tempfile names it,
  # os.chmod gives it the usual mode.
  local = "://" not in output
  parent = os.path.dirname(os.path.abspath(output)) if local else None
  if local:
    tf.io.gfile.makedirs(parent)
  staging = tempfile.mkdtemp(prefix=f".tmp-{os.path.basename(output)}-",
                             dir=parent)
  try:
    {"tf1": _write_tf1, "hf": _write_hf, "biom": _write_biom,
     "savedmodel": _write_savedmodel}[output_format](loaded, staging)
    # mkdtemp makes the directory 0700; the output gets a directory's usual
    # mode (0755 under umask 022), as its subdirectories and files have.
    os.chmod(staging, 0o777 & ~_umask())
    if local:
      # Replaces an empty `output` directory, refuses one that is not.
      tf.io.gfile.rename(staging, output, overwrite=True)
    else:
      _copy_tree(staging, output)
  finally:
    if tf.io.gfile.exists(staging):
      try:
        tf.io.gfile.rmtree(staging)
      except tf.errors.OpError:
        pass  # the original error says more
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
