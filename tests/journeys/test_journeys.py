"""A researcher's journeys on the command line, one per family.

Each runs the tools as a user does (`python -m tools.*` in a subprocess) on
the files researchers bring: an original TF1 checkpoint (BERT with
`bert_config.json`; ALBERT with Google's full `albert_config.json` and a
SentencePiece model from tools/build_vocab; ELECTRA discriminator +
generator) → records from our data creation (ELECTRA without masks) →
continued pretraining → SIGKILL and resume → export TF1 and HF → NER
fine-tuning from the HF export (tiny NCBI-disease subset) → a SavedModel
that takes text. Plus: a Hugging Face model with erf GELU and a cased
vocabulary → biom_tf → Hugging Face, outputs equal.

Tiny sizes throughout (hidden 32, 2 layers, sequence 32, a few steps).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import shared_path
from tests.docs import layout

SEQ = 32
SAVE_EVERY, KILL_AFTER, STEPS = 4, 5, 12


def tool(name, *args, cwd, timeout=300):
  """`python -m tools.<name> args` in `cwd`; fails the test on an error."""
  proc = subprocess.run([sys.executable, "-m", f"tools.{name}", *args],
                        cwd=cwd, env=layout.environment(), capture_output=True,
                        text=True, timeout=timeout)
  assert proc.returncode == 0, (
      f"python -m tools.{name} {' '.join(args)}\nexit {proc.returncode}\n"
      f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-5000:]}")
  return proc


def pretrain_killed_and_resumed(args, cwd, output_dir):
  """run_pretraining, SIGKILLed once a checkpoint is written and a later step
  is done; then the same command again, which must resume and finish."""
  command = [sys.executable, "-m", "tools.run_pretraining", *args]
  proc = subprocess.Popen(command, cwd=cwd, env=layout.environment(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
  seen = []
  saved = os.path.join(cwd, output_dir, f"ckpt-{SAVE_EVERY}.index")
  for line in proc.stdout:
    seen.append(line)
    match = re.match(r"\[pretrain\] step (\d+)", line)
    if match and int(match.group(1)) >= KILL_AFTER and os.path.exists(saved):
      proc.kill()
      break
  proc.wait(timeout=60)
  proc.stdout.close()
  assert proc.returncode == -9, (
      f"run_pretraining was to be killed after step {KILL_AFTER}; exit "
      f"{proc.returncode}\n" + "".join(seen)[-5000:])
  second = tool("run_pretraining", *args, cwd=cwd)
  assert f"resumed from {output_dir}/ckpt-{SAVE_EVERY} at step {SAVE_EVERY}" \
      in second.stdout.replace(os.path.join(cwd, ""), ""), second.stdout[-3000:]
  assert os.path.exists(os.path.join(cwd, output_dir, f"ckpt-{STEPS}.index"))
  return second


def _tf1_variables(prefix):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return dict(tf.train.list_variables(prefix))


def _read(prefix, name):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.train.load_checkpoint(prefix).get_tensor(name)


# The original checkpoint each journey starts from, as the originals name it.
ORIGINALS = {
    # family: (config file, checkpoint prefix, a tensor in the original names)
    "bert": ("bert_config.json", "bert_model.ckpt",
             "bert/encoder/layer_0/attention/self/query/kernel"),
    "albert": ("albert_config.json", "model.ckpt-best",
               "bert/encoder/transformer/group_0/inner_group_0/attention_1/"
               "self/query/kernel"),
    "electra": ("bert_config.json", "model.ckpt-1000000",
                "electra/encoder/layer_0/attention/self/query/kernel"),
}
GENERATOR_TENSOR = "generator/encoder/layer_0/attention/self/query/kernel"


def _albert_config(path, vocab_size):
  """Google's albert_config.json (every key of the released ALBERT v2 file)
  with a tiny architecture."""
  with open(shared_path("fixtures", "albert-base-v2-config.json")) as f:
    values = json.load(f)
  values.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=64, embedding_size=16,
                max_position_embeddings=SEQ, vocab_size=vocab_size)
  with open(path, "w") as f:
    json.dump(values, f, indent=2)
  return values


def _originals(family, root):
  """Lays out orig/: the config, the TF1 checkpoint and the vocabulary;
  returns the vocabulary flag."""
  orig = os.path.join(root, "orig")
  os.makedirs(orig)
  config_name, prefix, _ = ORIGINALS[family]
  if family == "albert":
    tool("build_vocab", "--vocab_type=sentencepiece",
         f"--input_file={','.join(layout.demo_files())}",
         "--output=orig/30k-clean", "--vocab_size=400", cwd=root)
    layout.write_tf1_checkpoint(orig, prefix, "tiny_config.json", "albert",
                                vocab_size=400, max_seq_length=SEQ,
                                hidden_dropout_prob=0.0,
                                attention_probs_dropout_prob=0.0)
    os.remove(os.path.join(orig, "tiny_config.json"))
    values = _albert_config(os.path.join(orig, config_name), 400)
    assert {"net_structure_type", "gap_size", "num_memory_blocks",
            "inner_group_num", "down_scale_factor"} <= set(values)
    return "--spm_model_file=orig/30k-clean.model"
  size = layout.demo_vocab(os.path.join(orig, "vocab.txt"))
  layout.write_tf1_checkpoint(orig, prefix, config_name, family,
                              vocab_size=size, max_seq_length=SEQ)
  return "--vocab_file=orig/vocab.txt"


def _savedmodel_takes_text(directory, num_labels):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_text  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  texts = ["Hereditary breast cancer and BRCA1 mutations.",
           "No disease was found in the control group."]
  restored = tf.saved_model.load(directory)
  served = restored.signatures["serving_default"](text=tf.constant(texts))
  logits = served["logits"].numpy()
  assert logits.shape[0] == 2 and logits.shape[-1] == num_labels, logits.shape
  assert np.all(np.isfinite(logits))
  return logits


@pytest.mark.slow
@pytest.mark.parametrize("family", ["bert", "albert", "electra"])
def test_original_checkpoint_to_savedmodel(tmp_path, family):
  root = str(tmp_path)
  vocab_flag = _originals(family, root)
  config_name, prefix, tensor = ORIGINALS[family]
  original = os.path.join(root, "orig", prefix)
  layout.ncbi_subset(os.path.join(root, "ncbi-disease"), sentences=16)

  # Records from our data creation (ELECTRA: without masks, as the original).
  tool("create_pretraining_data", f"--model_family={family}",
       f"--input_file={','.join(layout.demo_files())}",
       "--output_file=records/demo.tfrecord", vocab_flag,
       f"--max_seq_length={SEQ}", "--max_predictions_per_seq=5",
       "--dupe_factor=1", "--num_output_shards=2", cwd=root)

  # Continued pretraining from the original, killed and resumed.
  config_flag = ("--albert_config_file" if family == "albert"
                 else "--bert_config_file") + f"=orig/{config_name}"
  args = [f"--model_family={family}", config_flag,
          f"--init_checkpoint=orig/{prefix}", "--input_file=records/*",
          "--output_dir=run", "--do_train", f"--max_seq_length={SEQ}",
          "--max_predictions_per_seq=5", "--train_batch_size=4",
          f"--num_train_steps={STEPS}", "--num_warmup_steps=2",
          f"--save_checkpoints_steps={SAVE_EVERY}", "--iterations_per_loop=1"]
  if family == "electra":
    args.append(vocab_flag)  # on-the-fly masking of records without masks
  pretrain_killed_and_resumed(args, root, "run")

  # Export TF1 and HF; the TF1 export has the original's names and shapes,
  # with trained values.
  for fmt in ("tf1", "hf"):
    tool("convert_checkpoint", f"--model_family={family}", "--input=run",
         "--input_format=biom", f"--output=export/{fmt}",
         f"--output_format={fmt}", vocab_flag, cwd=root)
  (exported,) = [os.path.join(root, "export", "tf1", f[:-len(".index")])
                 for f in os.listdir(os.path.join(root, "export", "tf1"))
                 if f.endswith(".index")]
  before, after = _tf1_variables(original), _tf1_variables(exported)
  for name in (tensor,) + ((GENERATOR_TENSOR,) if family == "electra" else ()):
    assert after[name] == before[name], name
    assert not np.array_equal(_read(exported, name), _read(original, name)), (
        f"{name}: not trained")
  assert {n for n in before if not n.endswith(("adam_m", "adam_v"))
          and n != "global_step"} <= set(after)
  if family == "albert":
    # Every key of Google's albert_config.json is written back as it was.
    with open(os.path.join(root, "orig", config_name)) as f:
      given = json.load(f)
    with open(os.path.join(root, "export", "tf1", config_name)) as f:
      written = json.load(f)
    assert {k: written.get(k) for k in given} == given
  hf = os.path.join(root, "export", "hf")
  assert os.path.exists(os.path.join(hf, "config.json"))
  assert os.path.exists(os.path.join(hf, "model.safetensors"))

  # NER from the HF export: the tokenizer and its casing come with it.
  tool("run_finetuning", "--task=ner", "--data_dir=ncbi-disease",
       "--init_checkpoint=export/hf", f"--model_family={family}",
       "--output_dir=ner", f"--max_seq_length={SEQ}", "--train_batch_size=8",
       "--num_train_epochs=1", "--seeds=1", cwd=root)
  with open(os.path.join(root, "ner", "eval_results.json")) as f:
    results = json.load(f)
  assert "seed_1" in json.dumps(results)

  # The fine-tuned model as a SavedModel that takes text.
  tool("convert_checkpoint", f"--model_family={family}",
       "--input=ner/seed_1/model", "--input_format=biom",
       "--output=savedmodel", "--output_format=savedmodel", cwd=root)
  _savedmodel_takes_text(os.path.join(root, "savedmodel"), num_labels=3)


@pytest.mark.slow
def test_hf_erf_gelu_cased_round_trip(tmp_path):
  """A PyTorch-trained HF BERT (hidden_act "gelu" = erf, cased vocabulary,
  no tokenizer_config.json) → biom → HF with the CLI: the same outputs, the
  same activation, and a tokenizer that keeps case."""
  torch = pytest.importorskip("torch")
  transformers = pytest.importorskip("transformers")
  root = str(tmp_path)
  source = os.path.join(root, "hf_in")
  os.makedirs(source)
  words = ["The", "BRCA1", "gene", "Patients", "tumour", "cells", "were",
           "treated", "with", "cisplatin", "and", "the", "brca1", "."]
  vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
  with open(os.path.join(source, "vocab.txt"), "w") as f:
    f.write("\n".join(vocab) + "\n")
  config = transformers.BertConfig(
      vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
      num_attention_heads=2, intermediate_size=64, hidden_act="gelu",
      max_position_embeddings=SEQ)
  torch.manual_seed(0)
  model = transformers.BertForPreTraining(config).eval()
  with torch.no_grad():  # LayerNorm and biases away from 1 / 0
    for name, p in model.named_parameters():
      if name.endswith(("LayerNorm.weight", "LayerNorm.bias", ".bias")):
        p.add_(torch.randn_like(p) * 0.2)
  model.save_pretrained(source, safe_serialization=True)

  tool("convert_checkpoint", "--model_family=bert", "--input=hf_in",
       "--input_format=hf", "--output=biom", "--output_format=biom", cwd=root)
  tool("convert_checkpoint", "--model_family=bert", "--input=biom",
       "--input_format=biom", "--output=hf_out", "--output_format=hf",
       cwd=root)
  out_dir = os.path.join(root, "hf_out")
  with open(os.path.join(out_dir, "config.json")) as f:
    assert json.load(f)["hidden_act"] == "gelu"
  with open(os.path.join(out_dir, "tokenizer_config.json")) as f:
    assert json.load(f)["do_lower_case"] is False
  round_trip = transformers.BertForPreTraining.from_pretrained(out_dir).eval()
  ids = torch.tensor([[2, 5, 6, 7, 3, 0, 0], [2, 8, 9, 10, 11, 12, 3]])
  mask = (ids > 0).long()
  with torch.no_grad():
    want = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    got = round_trip(input_ids=ids, attention_mask=mask,
                     output_hidden_states=True)
  for name in ("prediction_logits", "seq_relationship_logits"):
    np.testing.assert_allclose(getattr(got, name).numpy(),
                               getattr(want, name).numpy(), atol=1e-5,
                               err_msg=name)
  np.testing.assert_allclose(got.hidden_states[-1].numpy(),
                             want.hidden_states[-1].numpy(), atol=1e-5)
  # The cased tokenizer written beside it keeps "BRCA1" and "brca1" apart.
  tokenizer = transformers.BertTokenizerFast.from_pretrained(out_dir)
  assert tokenizer("BRCA1 brca1")["input_ids"] == [2, 6, 17, 3]
