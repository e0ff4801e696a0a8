"""Recipes: the published sizes and their token arithmetic; the tool uses them."""
import pytest

from biom_tf import recipes
from biom_tf.configs import ConfigError
from tests.training.conftest import run_module


def test_token_arithmetic_of_the_papers():
  bluebert = recipes.get_recipe("bluebert_base")
  assert bluebert.tokens == 128 * 256 * 5_000_000      # "164B tokens"
  assert "163.8B tokens" in bluebert.token_arithmetic()
  biobert = recipes.get_recipe("biobert-v1.1")          # spelling is lenient
  assert biobert.tokens == 512 * 192 * 1_000_000       # "98B"
  assert recipes.get_recipe("bluebert_base_mimic").num_train_steps == 200_000
  assert recipes.get_recipe("litbert").family == "bert"
  electra = recipes.get_recipe("biom_electra_large")
  assert (electra.train_batch_size, electra.num_train_steps) == (4096, 434_000)
  albert = recipes.get_recipe("biom_albert_xxlarge")
  assert (albert.train_batch_size, albert.num_train_steps, albert.optimizer,
          albert.family) == (8192, 264_000, "lamb", "albert")
  pmc = recipes.get_recipe("biom_albert_xxlarge_pmc")
  assert pmc.num_train_steps == 64_000 and pmc.init_from


def test_unknown_recipe_lists_the_known_ones():
  with pytest.raises(ConfigError, match="bluebert_base"):
    recipes.get_recipe("bluebert_large")


def test_tool_prints_the_recipe_and_command_line_flags_win(tmp_path):
  proc = run_module("tools.run_pretraining", "--recipe=bluebert_base",
                    "--max_seq_length=600", f"--output_dir={tmp_path}",
                    f"--input_file={tmp_path}/none-*.tfrecord", "--do_train")
  assert proc.returncode == 1
  assert "163.8B tokens" in proc.stdout
  # The recipe's 128 gave way to the command line's 600, which the
  # BERT-Base preset (512 positions) then refuses, in one line.
  assert "error: --max_seq_length=600 exceeds" in proc.stderr


# ------------------------------------------- published sizes, with sources
def test_biobert_v1_0_and_biom_bert_large_pretraining():
  # dmis-lab/biobert README.md: v1.0 "+ PubMed 200K", "+ PMC 270K",
  # "+ PubMed 200K + PMC 270K"; Lee et al. 2020: batch 192, sequence 512.
  steps = {name: recipes.get_recipe(name).num_train_steps for name in (
      "biobert_v1_0_pubmed", "biobert_v1_0_pmc", "biobert_v1_0_pubmed_pmc")}
  assert steps == {"biobert_v1_0_pubmed": 200_000,
                   "biobert_v1_0_pmc": 270_000,
                   "biobert_v1_0_pubmed_pmc": 470_000}
  for name in steps:
    recipe = recipes.get_recipe(name)
    assert (recipe.max_seq_length, recipe.train_batch_size) == (512, 192)
    assert not recipe.lower_case and recipe.flags()["do_lower_case"] is False
  # salrowili/BioM-Transformers README.md: PubMed + PMC, batch 4096, 690K.
  biom_bert = recipes.get_recipe("biom_bert_large")
  assert (biom_bert.train_batch_size, biom_bert.num_train_steps,
          biom_bert.family, biom_bert.lower_case) == (4096, 690_000, "bert",
                                                       True)
  assert "PMC" in biom_bert.corpus
  # LitBERT = Bioformer-8L (model card: 2M steps, batch 256, sequence 512).
  litbert = recipes.get_recipe("litbert")
  assert (litbert.max_seq_length, litbert.train_batch_size,
          litbert.num_train_steps, litbert.lower_case) == (512, 256,
                                                           2_000_000, False)
  for recipe in recipes.RECIPES.values():
    assert recipe.source, recipe.name


def test_electra_masking_rate_per_size():
  # google-research/electra configure_pretraining.py: mask_prob 0.15, and
  # 0.25 in the Large hyperparameters; max_predictions_per_seq =
  # int((mask_prob + 0.005) * max_seq_length): 0.255 x 512 = 130.56 → 130,
  # 0.155 x 512 = 79.36 → 79, 0.155 x 128 = 19.84 → 19.
  from biom_tf import configs
  from biom_tf.training import dynamic_masking
  assert dynamic_masking.max_predictions(0.25, 512) == 130
  assert dynamic_masking.max_predictions(0.15, 512) == 79
  assert dynamic_masking.max_predictions(0.15, 128) == 19
  for name, rate in (("electra-small", 0.15), ("electra-base", 0.15),
                     ("electra-large", 0.25), ("biom-electra-base", 0.15),
                     ("biom-electra-large", 0.25)):
    config = configs.get_preset(name).config
    assert dynamic_masking.default_mask_prob(config) == rate, name
  large = recipes.get_recipe("biom_electra_large")
  assert (large.mask_prob, large.max_predictions_per_seq) == (0.25, 130)
  assert large.flags()["mask_prob"] == 0.25
  assert "masking 25% on the fly" in large.describe()
  base = recipes.get_recipe("biom_electra_base")
  assert (base.mask_prob, base.max_predictions_per_seq) == (0.15, 79)
  assert "mask_prob" not in recipes.get_recipe("bluebert_base").flags()


def test_mask_prob_sets_how_many_tokens_are_predicted():
  import numpy as np
  import tensorflow as tf
  from biom_tf.training import dynamic_masking
  cls, sep, mask = 2, 3, 4
  lengths = np.array([12, 20, 33, 40])
  ids = np.full((4, 40), 50, np.int32)
  input_mask = (np.arange(40)[None, :] < lengths[:, None]).astype(np.int32)
  ids = ids * input_mask
  ids[:, 0] = cls
  ids[np.arange(4), lengths - 1] = sep
  batch = dict(input_word_ids=tf.constant(ids),
               input_mask=tf.constant(input_mask),
               input_type_ids=tf.zeros((4, 40), tf.int32))
  for rate in (0.15, 0.25):
    masking = dynamic_masking.DynamicMasking(mask, (cls, sep, mask), 12,
                                             mask_prob=rate)
    out = dynamic_masking.mask_batch(batch, masking,
                                     tf.constant([3, 4], tf.int64))
    counts = out["masked_lm_weights"].numpy().sum(axis=1)
    # pretrain_helpers.mask_inputs: max(1, min(P, round(rate x tokens))).
    expected = [max(1, min(12, round(rate * n))) for n in lengths]
    assert counts.tolist() == expected, rate
  with pytest.raises(ValueError, match="mask_prob=1.5: expected a fraction"):
    dynamic_masking.DynamicMasking(mask, (cls, sep, mask), 12, mask_prob=1.5)


def test_fine_tuning_recipes_as_published():
  from biom_tf.tasks import recipes as tasks_recipes
  get = tasks_recipes.get_recipe
  # salrowili/BioM-Transformers Example_of_NER_and_ChemProt_Task_on_TPU:
  # NCBI-disease: lr 7e-5, batch 32, seq 256, 5 epochs, weight decay 0.01,
  # layer-wise decay 0.9, warmup 0.1, lower case; ChemProt the same, 4 epochs.
  ner = get("biom-electra-large-ner", "ner")
  assert (ner.learning_rate, ner.train_batch_size, ner.max_seq_length,
          ner.num_train_epochs, ner.weight_decay_rate, ner.layerwise_lr_decay,
          ner.warmup_proportion, ner.do_lower_case) == (
              7e-5, 32, 256, 5, 0.01, 0.9, 0.1, True)
  for name in ("biom-electra-large-chemprot", "biom-bert-large-chemprot"):
    chemprot = get(name, "chemprot")
    assert (chemprot.num_train_epochs, chemprot.learning_rate,
            chemprot.max_seq_length) == (4, 7e-5, 256)
  # ncbi-nlp/bluebert README: STS 30 epochs, NER 30, RE 10, HoC 3 (batch 4,
  # lr 2e-5, seq 128); uncased.
  epochs = {name: get(name).num_train_epochs for name in (
      "bluebert-sts", "bluebert-ner", "bluebert-re", "bluebert-hoc")}
  assert epochs == {"bluebert-sts": 30, "bluebert-ner": 30, "bluebert-re": 10,
                    "bluebert-hoc": 3}
  hoc = get("bluebert-hoc")
  assert (hoc.train_batch_size, hoc.learning_rate, hoc.max_seq_length,
          hoc.do_lower_case) == (4, 2e-5, 128, True)
  # dmis-lab/biobert README: RE seq 128, batch 32, lr 2e-5, 3 epochs; QA seq
  # 384, batch 12, lr 5e-6, 5 epochs, doc stride 128; cased.
  re_recipe, qa = get("biobert-re", "chemprot"), get("biobert-qa", "squad")
  assert (re_recipe.max_seq_length, re_recipe.train_batch_size,
          re_recipe.learning_rate, re_recipe.num_train_epochs) == (
              128, 32, 2e-5, 3)
  assert (qa.max_seq_length, qa.train_batch_size, qa.learning_rate,
          qa.num_train_epochs, qa.doc_stride) == (384, 12, 5e-6, 5, 128)
  assert re_recipe.flags()["do_lower_case"] is False
  # BioM-ALBERT SQuAD2 → BioASQ (albert.run_squad_v2 cell: batch 40, lr
  # 5e-5, 2 epochs, seq 384, stride 128).
  squad2 = get("biom-albert-xxlarge-squad2", "squad")
  assert (squad2.train_batch_size, squad2.learning_rate,
          squad2.num_train_epochs, squad2.max_seq_length) == (40, 5e-5, 2, 384)
  assert "squad2" in get("biom-albert-xxlarge-bioasq", "bioasq").source
  for recipe in tasks_recipes.RECIPES.values():
    assert recipe.source, recipe.name
    assert "max_seq_length" in recipe.flags()


def test_pretraining_config_takes_a_masking_rate(tmp_path):
  from biom_tf import configs
  from biom_tf.training import pretrain
  config = configs.get_preset("electra-small").config
  for bad in (0.0, 1.5):
    with pytest.raises(pretrain.PretrainingError,
                       match=f"--mask_prob={bad}: expected a fraction"):
      pretrain.PretrainingConfig(model_config=config, output_dir=str(tmp_path),
                                 mask_prob=bad).validate()
  pretrain.PretrainingConfig(model_config=config, output_dir=str(tmp_path),
                             mask_prob=0.25).validate()


def test_bluebert_base_resolves_to_the_epochs_of_each_task():
  # ncbi-nlp/bluebert README: STS 30 epochs, NER 30, RE (chemprot, ddi) 10,
  # HoC 3 at batch 4 -- not 3 epochs for every task.
  from biom_tf.tasks import recipes as tasks_recipes
  epochs = {task: tasks_recipes.get_recipe("bluebert-base", task)
            .num_train_epochs for task in ("biosses", "ner", "chemprot", "ddi",
                                           "hoc")}
  assert epochs == {"biosses": 30, "ner": 30, "chemprot": 10, "ddi": 10,
                    "hoc": 3}
  assert tasks_recipes.get_recipe("bluebert-base", "hoc").train_batch_size == 4
  assert tasks_recipes.get_recipe("bluebert-base").name == "bluebert-base"


def test_settings_from_matches_flags_to_fields_by_name():
  """The one flags → settings mapping of the tools: a field takes the value
  given, else its flag's (by name, or as renamed), else its default; flags
  that name no field are not used."""
  import dataclasses  # pylint: disable=g-import-not-at-top

  @dataclasses.dataclass
  class Settings:
    task: str
    learning_rate: float = 5e-5
    save_model: bool = False
    seeds: tuple = (1,)
    num_folds: int = 10
    derived: int = dataclasses.field(default=0, init=False)

  values = dict(learning_rate=1e-3, save_models=True, seeds=["3", "4"],
                verbosity=-1, derived=7, task="flag")
  settings = recipes.settings_from(Settings, values,
                                   renamed={"save_model": "save_models"},
                                   task="ner", seeds=(3, 4))
  assert settings == Settings(task="ner", learning_rate=1e-3,
                              save_model=True, seeds=(3, 4), num_folds=10)
  assert settings.derived == 0


def test_recipe_values_fill_only_flags_not_given():
  """flag_values_with: the command line's value where a flag was given,
  the recipe's where it was not, the flag default elsewhere."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  flag_values = flags.FlagValues()
  flags.DEFINE_integer("max_seq_length", 128, "", flag_values=flag_values)
  flags.DEFINE_float("learning_rate", 5e-5, "", flag_values=flag_values)
  flags.DEFINE_integer("seed", 1, "", flag_values=flag_values)
  flag_values(["tool", "--max_seq_length=128"])  # given, equal to default
  merged = recipes.flag_values_with(
      dict(max_seq_length=512, learning_rate=2e-5, unknown=1), flag_values,
      ["max_seq_length", "learning_rate", "seed"])
  assert merged == dict(max_seq_length=128, learning_rate=2e-5, seed=1)
  assert flag_values.learning_rate == 5e-5  # the flags stay as parsed


def test_recipe_values_only_those_named_then_the_tool_defaults():
  """flag_values_with(recipe_names=, defaults=): a recipe value the tool does
  not take is left out; a default fills what neither the command line nor
  the recipe gives, the recipe's value winning over it."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  flag_values = flags.FlagValues()
  flags.DEFINE_integer("max_seq_length", 128, "", flag_values=flag_values)
  flags.DEFINE_bool("do_lower_case", None, "", flag_values=flag_values)
  flags.DEFINE_integer("eval_batch_size", 8, "", flag_values=flag_values)
  flags.DEFINE_integer("seed", 1, "", flag_values=flag_values)
  flag_values(["tool", "--seed=5"])
  merged = recipes.flag_values_with(
      dict(max_seq_length=512, do_lower_case=False, seed=7), flag_values,
      ["max_seq_length", "do_lower_case", "eval_batch_size", "seed"],
      recipe_names=("max_seq_length", "seed"),
      defaults=dict(max_seq_length=256, eval_batch_size=64))
  assert merged == dict(max_seq_length=512, do_lower_case=None,
                        eval_batch_size=64, seed=5)
