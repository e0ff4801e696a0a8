"""A fine-tuned model exports to the matching Hugging Face head and to a
SavedModel (text in, logits out; labels by label_map.json).

The export itself is `biom_tf.checkpoints.convert` (another module); these
tests check that what fine-tuning saves is what it reads, and that the exported heads
compute what ours do: transformers is the independent oracle."""
import json
import os

import biom_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from biom_tf.checkpoints import convert
from biom_tf.models import heads
from biom_tf.tasks import get_task
from biom_tf.tasks.ner import Sentence
from biom_tf.training import finetune
from tests.tasks.conftest import tiny_config

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _save(tmp_path, family, task_name, labels, vocab_file):
  config = tiny_config(family)
  task = get_task(task_name)
  task.labels = labels
  model = heads.build_finetuning_model(config, task.head, task.num_outputs)
  # Non-trivial head weights (a fresh head's bias is zero).
  for v in model.head_layer.variables:
    v.assign(np.random.RandomState(1).normal(0, 0.5, v.shape).astype(np.float32))
  settings = finetune.FinetuneSettings(
      task=task_name, data_dir="", output_dir="", config=config,
      vocab_file=vocab_file, max_seq_length=16)
  directory = finetune.save_finetuned_model(
      model, str(tmp_path / f"{family}_{task_name}"), task, settings)
  return model, config, directory


def _logits_both(model, hf_model, batch):
  ours = model(batch, training=False).numpy()
  with torch.no_grad():
    theirs = hf_model(
        input_ids=torch.from_numpy(batch["input_word_ids"]).long(),
        attention_mask=torch.from_numpy(batch["input_mask"]).long(),
        token_type_ids=torch.from_numpy(batch["input_type_ids"]).long())
  return ours, theirs


@pytest.mark.parametrize("family, task_name, labels, hf_class", [
    ("bert", "ner", ["O", "B-Disease", "I-Disease"],
     "BertForTokenClassification"),
    ("electra", "chemprot", ["ACTIVATOR", "INHIBITOR", "false"],
     "ElectraForSequenceClassification"),
    ("albert", "squad", ["start", "end"], "AlbertForQuestionAnswering"),
])
def test_hf_head_matches(tmp_path, vocab_file, tokenizer, family, task_name,
                         labels, hf_class):
  model, config, directory = _save(tmp_path, family, task_name, labels,
                                   vocab_file)
  with open(os.path.join(directory, "finetune_config.json")) as f:
    assert json.load(f)["hf_architecture"] == hf_class
  out = convert.export(family, directory, "biom", str(tmp_path / "hf"), "hf")
  hf_model = getattr(transformers, hf_class).from_pretrained(out).eval()
  ids = [tokenizer.cls_id] + tokenizer.encode("the breast cancer cells") + [
      tokenizer.sep_id]
  batch = {"input_word_ids": np.array([ids, ids[:4] + [0] * (len(ids) - 4)],
                                      np.int32),
           "input_mask": np.array([[1] * len(ids), [1] * 4 + [0] * (
               len(ids) - 4)], np.int32),
           "input_type_ids": np.zeros((2, len(ids)), np.int32)}
  ours, theirs = _logits_both(model, hf_model, batch)
  mask = batch["input_mask"].astype(bool)
  if task_name == "squad":
    theirs = np.stack([theirs.start_logits.numpy(),
                       theirs.end_logits.numpy()], axis=-1)
    np.testing.assert_allclose(ours[mask], theirs[mask], atol=1e-4)
  elif task_name == "ner":
    np.testing.assert_allclose(ours[mask], theirs.logits.numpy()[mask],
                               atol=1e-4)
    assert hf_model.config.id2label == dict(enumerate(labels))
  else:
    np.testing.assert_allclose(ours, theirs.logits.numpy(), atol=1e-4)
    assert hf_model.config.id2label == dict(enumerate(labels))


def test_savedmodel_text_in_labels_out(tmp_path, vocab_file, tokenizer):
  labels = ["O", "B-Disease", "I-Disease"]
  model, _, directory = _save(tmp_path, "bert", "ner", labels, vocab_file)
  out = convert.export("bert", directory, "biom", str(tmp_path / "sm"),
                       "savedmodel")
  import tensorflow_text  # noqa: F401  (registers the tokenizer ops)
  loaded = tf.saved_model.load(out)
  text = "the breast cancer cells"
  served = loaded.signatures["serving_default"](tf.constant([text]))
  logits = served["logits"].numpy()[0]
  with open(os.path.join(directory, "label_map.json")) as f:
    label_map = json.load(f)
  served_labels = [label_map["labels"][i] for i in logits.argmax(-1)]
  # The same words through the fine-tuning pipeline (one window).
  task = get_task("ner")
  task.labels = labels
  sentence = Sentence(text.split(), ["O"] * 4)
  encoded = task.encode([sentence], tokenizer, 16, training=False)
  ours = finetune.predict(model, encoded, 1)
  predicted = task.predict_tags([sentence], encoded, ours)[0]
  positions = encoded.meta[0][3]
  assert [served_labels[p] for p in positions] == predicted
  np.testing.assert_allclose(logits[:len(ours[0])], ours[0], atol=1e-4)
