"""One name table per checkpoint family: our variables ↔ original TF1 names.

Each `Entry` says where one tensor lives in three worlds:
  * ours: a component of our Keras model (an attribute such as `encoder` or
    `masked_lm`) and the variable's name inside it;
  * tf1: its name in google-research/bert, albert or electra checkpoints;
  * hf: its key in the Hugging Face (transformers) state dict.
and `rule` says how its shape changes between ours and the TF1 layout:
  SAME       identical;
  HEADS      ours [..., heads, head_size] ↔ tf1 [..., hidden] (q/k/v kernels
             and biases: Model Garden keeps the heads axis separate);
  HEADS_IN   ours [heads, head_size, hidden] ↔ tf1 [hidden, hidden]
             (attention output kernel);
  TRANSPOSE  ours [in, out] ↔ tf1 [out, in] (`cls/seq_relationship/
             output_weights`, stored [2, hidden]).
The HF layout is derived from the TF1 one: a 2-D `kernel` is transposed
(torch Linear keeps [out, in]), everything else is copied — the rule
transformers' own `load_tf_weights_in_*` applies.

Reading (`tf1.load_tf1_checkpoint`), writing (`tf1.save_tf1_checkpoint`) and
the Hugging Face converters all walk these tables; a new family or a variant
checkpoint layout is a new table, not new reader code.
"""
import dataclasses
from typing import List, Optional

from biom_tf.configs import ModelConfig

SAME, HEADS, HEADS_IN, TRANSPOSE = "same", "heads", "heads_in", "transpose"

# Components whose absence from a checkpoint is normal for some checkpoints
# (fine-tuned or encoder-only releases): the pretraining heads.
HEAD_COMPONENTS = ("masked_lm", "sentence_head", "generator_lm",
                   "discriminator_dense", "discriminator_output")


@dataclasses.dataclass(frozen=True)
class Entry:
  component: str          # attribute of our model holding the variable
  ours: str               # variable name inside the component, minus ":0"
  tf1: str                # original TF1 checkpoint name
  hf: Optional[str]       # Hugging Face state-dict key
  rule: str = SAME
  hf_model: str = "main"  # ELECTRA: "main" (discriminator) or "generator"

  @property
  def is_head(self) -> bool:
    return self.component in HEAD_COMPONENTS


def _dense(component, ours, tf1, hf, rule=SAME, hf_model="main"):
  """kernel + bias rows of one dense layer (HF: weight + bias)."""
  return [Entry(component, f"{ours}/kernel", f"{tf1}/kernel", f"{hf}.weight",
                rule, hf_model),
          Entry(component, f"{ours}/bias", f"{tf1}/bias", f"{hf}.bias",
                HEADS if rule == HEADS else SAME, hf_model)]


def _layer_norm(component, ours, tf1, hf, hf_model="main"):
  return [Entry(component, f"{ours}/gamma", f"{tf1}/gamma", f"{hf}.weight",
                SAME, hf_model),
          Entry(component, f"{ours}/beta", f"{tf1}/beta", f"{hf}.bias",
                SAME, hf_model)]


def _embeddings(component, tf1, hf, hf_model="main"):
  """word / position / token-type tables and their LayerNorm."""
  rows = [Entry(component, "word_embeddings/embeddings",
                f"{tf1}/word_embeddings", f"{hf}.word_embeddings.weight",
                SAME, hf_model),
          Entry(component, "position_embedding/embeddings",
                f"{tf1}/position_embeddings",
                f"{hf}.position_embeddings.weight", SAME, hf_model),
          Entry(component, "type_embeddings/embeddings",
                f"{tf1}/token_type_embeddings",
                f"{hf}.token_type_embeddings.weight", SAME, hf_model)]
  return rows + _layer_norm(component, "embeddings/layer_norm",
                            f"{tf1}/LayerNorm", f"{hf}.LayerNorm", hf_model)


def _bert_layer(component, ours, tf1, hf, hf_model="main"):
  """One transformer layer in BERT naming (BERT and ELECTRA)."""
  rows = []
  for qkv in ("query", "key", "value"):
    rows += _dense(component, f"{ours}/self_attention/{qkv}",
                   f"{tf1}/attention/self/{qkv}", f"{hf}.attention.self.{qkv}",
                   HEADS, hf_model)
  rows += _dense(component, f"{ours}/self_attention/attention_output",
                 f"{tf1}/attention/output/dense", f"{hf}.attention.output.dense",
                 HEADS_IN, hf_model)
  rows[-1] = dataclasses.replace(rows[-1], rule=SAME)  # the bias is [hidden]
  rows += _layer_norm(component, f"{ours}/self_attention_layer_norm",
                      f"{tf1}/attention/output/LayerNorm",
                      f"{hf}.attention.output.LayerNorm", hf_model)
  rows += _dense(component, f"{ours}/intermediate", f"{tf1}/intermediate/dense",
                 f"{hf}.intermediate.dense", SAME, hf_model)
  rows += _dense(component, f"{ours}/output", f"{tf1}/output/dense",
                 f"{hf}.output.dense", SAME, hf_model)
  rows += _layer_norm(component, f"{ours}/output_layer_norm",
                      f"{tf1}/output/LayerNorm", f"{hf}.output.LayerNorm",
                      hf_model)
  return rows


def _masked_lm(component, tf1, hf_dense, hf_norm, hf_bias, hf_model="main"):
  rows = _dense(component, "transform/dense", f"{tf1}/transform/dense"
                if "cls" in tf1 else f"{tf1}/dense", hf_dense, SAME, hf_model)
  rows += _layer_norm(component, "transform/LayerNorm",
                      f"{tf1}/transform/LayerNorm" if "cls" in tf1
                      else f"{tf1}/LayerNorm", hf_norm, hf_model)
  rows.append(Entry(component, "output_bias/bias", f"{tf1}/output_bias",
                    hf_bias, SAME, hf_model))
  return rows


def _sentence_head(hf):
  return [Entry("sentence_head", "kernel", "cls/seq_relationship/output_weights",
                f"{hf}.weight", TRANSPOSE),
          Entry("sentence_head", "bias", "cls/seq_relationship/output_bias",
                f"{hf}.bias")]


def bert_table(config: ModelConfig) -> List[Entry]:
  """google-research/bert names (BERT, BioBERT, BlueBERT, LitBERT)."""
  rows = _embeddings("encoder", "bert/embeddings", "bert.embeddings")
  for i in range(config.num_hidden_layers):
    rows += _bert_layer("encoder", f"transformer/layer_{i}",
                        f"bert/encoder/layer_{i}", f"bert.encoder.layer.{i}")
  rows += _dense("encoder", "pooler_transform", "bert/pooler/dense",
                 "bert.pooler.dense")
  rows += _masked_lm("masked_lm", "cls/predictions",
                     "cls.predictions.transform.dense",
                     "cls.predictions.transform.LayerNorm", "cls.predictions.bias")
  return rows + _sentence_head("cls.seq_relationship")


def albert_table(config: ModelConfig) -> List[Entry]:
  """google-research/albert names: one shared layer in group_0/inner_group_0."""
  del config  # every depth uses the same (shared) variables
  tf1 = "bert/encoder/transformer/group_0/inner_group_0"
  hf = "albert.encoder.albert_layer_groups.0.albert_layers.0"
  rows = _embeddings("encoder", "bert/embeddings", "albert.embeddings")
  rows += _dense("encoder", "embedding_projection",
                 "bert/encoder/embedding_hidden_mapping_in",
                 "albert.encoder.embedding_hidden_mapping_in")
  for qkv in ("query", "key", "value"):
    rows += _dense("encoder", f"transformer/self_attention/{qkv}",
                   f"{tf1}/attention_1/self/{qkv}", f"{hf}.attention.{qkv}", HEADS)
  rows += _dense("encoder", "transformer/self_attention/attention_output",
                 f"{tf1}/attention_1/output/dense", f"{hf}.attention.dense",
                 HEADS_IN)
  rows[-1] = dataclasses.replace(rows[-1], rule=SAME)
  rows += _layer_norm("encoder", "transformer/self_attention_layer_norm",
                      f"{tf1}/LayerNorm", f"{hf}.attention.LayerNorm")
  rows += _dense("encoder", "transformer/intermediate",
                 f"{tf1}/ffn_1/intermediate/dense", f"{hf}.ffn")
  rows += _dense("encoder", "transformer/output",
                 f"{tf1}/ffn_1/intermediate/output/dense", f"{hf}.ffn_output")
  rows += _layer_norm("encoder", "transformer/output_layer_norm",
                      f"{tf1}/LayerNorm_1", f"{hf}.full_layer_layer_norm")
  rows += _dense("encoder", "pooler_transform", "bert/pooler/dense",
                 "albert.pooler")
  rows += _masked_lm("masked_lm", "cls/predictions", "predictions.dense",
                     "predictions.LayerNorm", "predictions.bias")
  return rows + _sentence_head("sop_classifier.classifier")


def electra_table(config: ModelConfig) -> List[Entry]:
  """google-research/electra names, embeddings shared under `electra/`.

  HF keys: `hf_model="main"` rows belong to ElectraForPreTraining (the
  discriminator), `"generator"` rows to ElectraForMaskedLM; the shared
  embeddings belong to both (the generator's copy is written from them).
  The encoders' pooler has no counterpart: ELECTRA checkpoints have none.
  """
  rows = _embeddings("discriminator", "electra/embeddings", "electra.embeddings")
  rows += _dense("discriminator", "embedding_projection",
                 "electra/embeddings_project", "electra.embeddings_project")
  for i in range(config.num_hidden_layers):
    rows += _bert_layer("discriminator", f"transformer/layer_{i}",
                        f"electra/encoder/layer_{i}", f"electra.encoder.layer.{i}")
  rows += _dense("discriminator_dense", "", "discriminator_predictions/dense",
                 "discriminator_predictions.dense")
  rows += _dense("discriminator_output", "", "discriminator_predictions/dense_1",
                 "discriminator_predictions.dense_prediction")
  gen = "generator"
  rows += _dense(gen, "embedding_projection", "generator/embeddings_project",
                 "electra.embeddings_project", hf_model=gen)
  for i in range(config.generator_config().num_hidden_layers):
    rows += _bert_layer(gen, f"transformer/layer_{i}",
                        f"generator/encoder/layer_{i}",
                        f"electra.encoder.layer.{i}", hf_model=gen)
  rows += _masked_lm("generator_lm", "generator_predictions",
                     "generator_predictions.dense",
                     "generator_predictions.LayerNorm", "generator_lm_head.bias",
                     hf_model=gen)
  # A dense layer's rows are written "<layer>/kernel"; a bare Dense component
  # has its variables directly at "kernel" / "bias".
  return [dataclasses.replace(e, ours=e.ours.lstrip("/")) for e in rows]


TABLES = {"bert": bert_table, "albert": albert_table, "electra": electra_table}


def table_for(config: ModelConfig) -> List[Entry]:
  """The expanded name table for `config` (one row per tensor)."""
  return TABLES[config.family](config)


# ------------------------------------------------------- fine-tuning heads
# Head variables per head layer (`Head.attribute`): ours, TF1 name, Hugging
# Face key. TF1 names are google-research/bert's fine-tuning names (a
# [out, in] `output_weights`, hence TRANSPOSE); ELECTRA's [CLS] head keeps our
# layer names in TF1 form.
_HEAD_ROWS = {
    "qa_outputs": (
        Entry("qa_outputs", "qa_outputs/kernel", "cls/squad/output_weights",
              "qa_outputs.weight", TRANSPOSE),
        Entry("qa_outputs", "qa_outputs/bias", "cls/squad/output_bias",
              "qa_outputs.bias")),
    "classifier": (
        Entry("classifier", "classifier/kernel", "output_weights",
              "classifier.weight", TRANSPOSE),
        Entry("classifier", "classifier/bias", "output_bias",
              "classifier.bias")),
}
_CLS_HEAD_ROWS = (
    Entry("classifier", "pooler_dense/kernel", "classifier/pooler_dense/kernel",
          "classifier.dense.weight"),
    Entry("classifier", "pooler_dense/bias", "classifier/pooler_dense/bias",
          "classifier.dense.bias"),
    Entry("classifier", "logits/kernel", "classifier/logits/kernel",
          "classifier.out_proj.weight"),
    Entry("classifier", "logits/bias", "classifier/logits/bias",
          "classifier.out_proj.bias"))


def head_table(config: ModelConfig, head) -> List[Entry]:
  """Rows of a fine-tuning head (`biom_tf.models.heads.Head`) on `config`.

  `component` is the FineTuningModel attribute holding the layer.
  """
  if head.uses_cls_head(config):
    return list(_CLS_HEAD_ROWS)
  return list(_HEAD_ROWS[head.attribute])
