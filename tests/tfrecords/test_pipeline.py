"""create_pretraining_data end to end: schema, statistics, scale, bad input.

Statistics are compared with independent implementations of the original
algorithms: Model Garden's `official.nlp.data.create_pretraining_data` (a
copy of google-research/bert's script, with its own Python tokenizer) for
BERT, and a transcription of google-research/electra's `ExampleBuilder`
for ELECTRA. Tolerances are four standard errors.
"""
import io
import json
import random

import biom_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from biom_tf import features
from biom_tf import fileio
from biom_tf import tokenization
from tests.tfrecords.conftest import synthetic_documents
from tests.tfrecords.conftest import write_corpus
from tests.tfrecords.conftest import write_vocab
from tfrecords import corpus
from tfrecords import pipeline
from tfrecords import vocab as vocab_lib
from tfrecords import writer

S, P = 128, 20



def _model_garden_script():
  """Model Garden's create_pretraining_data, imported beside our tools.

  Its module defines absl flags (`vocab_file`, `input_file`, ...) on the global
  FLAGS at import; our tools, imported in-process by other tests, define flags
  of the same names. The ones already defined are set aside while the module
  is imported, and put back after: the test calls its functions, not its main.
  """
  import sys  # pylint: disable=import-outside-toplevel
  from absl import flags  # pylint: disable=import-outside-toplevel
  name = "official.nlp.data.create_pretraining_data"
  if name in sys.modules:
    return sys.modules[name]
  registry = flags.FLAGS._flags()  # pylint: disable=protected-access
  saved = dict(registry)
  registry.clear()
  try:
    from official.nlp.data import create_pretraining_data  # pylint: disable=import-outside-toplevel
  finally:
    registry.clear()
    registry.update(saved)
  return create_pretraining_data

def _slice_corpus(source, path, num_documents):
  docs = list(corpus.iter_documents([source]))[:num_documents]
  return write_corpus(path, [d.lines for d in docs])


def _read(paths, family, max_predictions=P, seq=S, compression=""):
  spec = features.pretraining_feature_spec(family, seq, max_predictions)
  ds = tf.data.TFRecordDataset(paths, compression_type=compression)
  batch = next(iter(ds.batch(1 << 20).map(
      lambda x: tf.io.parse_example(x, spec))))
  return {k: v.numpy() for k, v in batch.items()}


def _run(corpus_path, out, vocab=None, spm=None, workers=1, **options):
  return pipeline.create_pretraining_data(
      corpus_path, out, vocab_file=vocab, spm_model_file=spm,
      options=pipeline.DataOptions(**options), num_workers=workers,
      progress=None)


def _manifest(summary):
  with open(summary.manifest_path) as f:
    return json.load(f)


def _rate_close(p1, n1, p2, n2):
  se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
  return abs(p1 - p2) < 4 * se


def _mean_close(x, y):
  x, y = np.asarray(x, float), np.asarray(y, float)
  se = np.sqrt(x.var() / len(x) + y.var() / len(y))
  return abs(x.mean() - y.mean()) < 4 * se


# ------------------------------------------------------------------ BERT
@pytest.fixture(scope="module")
def bert_run(tmp_path_factory):
  """Our BERT records and Model Garden's instances for 300 documents."""
  from tests.conftest import shared_path
  source = shared_path("data", "corpus", "pubmed_ncbi_disease.txt")
  vocab = shared_path("vocab", "bert-base-uncased", "vocab.txt")
  tmp = tmp_path_factory.mktemp("bert")
  path = _slice_corpus(source, tmp / "corpus.txt", 300)
  summary = _run(path, str(tmp / "bert.tfrecord"), vocab, dupe_factor=4,
                 max_seq_length=S, max_predictions_per_seq=P)
  mg = _model_garden_script()
  from official.nlp.tools import tokenization as mg_tokenization
  mg_tokenizer = mg_tokenization.FullTokenizer(vocab, do_lower_case=True)
  mg_instances = mg.create_training_instances(
      [path], mg_tokenizer, mg.get_processor_text_fn(False, True), S, 4, 0.1,
      0.15, P, random.Random(12345))
  return summary, _read(summary.outputs, "bert"), mg_instances, vocab


def test_bert_statistics_match_the_original(bert_run):
  summary, records, mg_instances, _ = bert_run
  lengths = records["input_mask"].sum(1)
  n = len(lengths)
  mg_lengths = [len(i.tokens) for i in mg_instances]
  assert summary.instances == n
  assert abs(n - len(mg_instances)) < 0.05 * len(mg_instances)
  assert _mean_close(lengths, mg_lengths)
  # Masked tokens: exactly min(P, max(1, round(15% of the tokens))).
  predictions = records["masked_lm_weights"].sum(1)
  np.testing.assert_array_equal(
      predictions, np.minimum(P, np.maximum(1, np.round(lengths * 0.15))))
  assert _mean_close(predictions,
                     [len(i.masked_lm_positions) for i in mg_instances])
  # Next sentence prediction: the rate of random next sentences.
  labels = records["next_sentence_labels"][:, 0]
  mg_labels = np.array([i.is_random_next for i in mg_instances], float)
  assert _rate_close(labels.mean(), n, mg_labels.mean(), len(mg_labels))
  # ... which is 1/2 where the chunk had two sentences or more.
  totals = _manifest(summary)["totals"]
  forced = totals["forced_random_next"]
  assert totals["next_sentence_label_1"] == labels.sum()
  assert _rate_close((labels.sum() - forced) / (n - forced), n - forced,
                     0.5, 1e9)


def test_bert_replacements_are_80_10_10(bert_run):
  _, records, _, vocab = bert_run
  mask_id = tokenization.load_vocab(vocab).index("[MASK]")
  r, c = np.nonzero(records["masked_lm_weights"])
  now = records["input_ids"][r, records["masked_lm_positions"][r, c]]
  label = records["masked_lm_ids"][r, c]
  n = len(r)
  assert _rate_close(np.mean(now == mask_id), n, 0.8, 1e9)
  assert _rate_close(np.mean(now == label), n, 0.1, 1e9)
  assert _rate_close(np.mean((now != mask_id) & (now != label)), n, 0.1, 1e9)


def test_bert_record_layout(bert_run):
  summary, records, _, vocab = bert_run
  words = tokenization.load_vocab(vocab)
  cls_id, sep_id = words.index("[CLS]"), words.index("[SEP]")
  ids, mask, seg = (records["input_ids"], records["input_mask"],
                    records["segment_ids"])
  for i in range(0, len(ids), 97):
    n = mask[i].sum()
    assert (mask[i, :n] == 1).all() and (mask[i, n:] == 0).all()
    assert ids[i, 0] == cls_id and ids[i, n - 1] == sep_id
    assert (ids[i, n:] == 0).all() and (seg[i, n:] == 0).all()
    sep = np.nonzero(ids[i, :n] == sep_id)[0]
    first_sep = sep[0]
    assert (seg[i, :first_sep + 1] == 0).all()
    assert (seg[i, first_sep + 1:n] == 1).all()
  # The manifest describes the files.
  manifest = _manifest(summary)
  assert manifest["complete"]
  assert manifest["shards"][0]["records"] == len(ids)
  assert manifest["config"]["features"]["masked_lm_weights"] == {
      "shape": [P], "dtype": "float32"}
  assert len(manifest["config"]["tokenizer"]["sha256"]) == 64


def test_the_originals_readers_parse_ours_and_ours_parses_theirs(
    bert_run, tmp_path):
  summary, _, mg_instances, vocab = bert_run
  # google-research/bert run_pretraining.py's name_to_features.
  original = {
      "input_ids": tf.io.FixedLenFeature([S], tf.int64),
      "input_mask": tf.io.FixedLenFeature([S], tf.int64),
      "segment_ids": tf.io.FixedLenFeature([S], tf.int64),
      "masked_lm_positions": tf.io.FixedLenFeature([P], tf.int64),
      "masked_lm_ids": tf.io.FixedLenFeature([P], tf.int64),
      "masked_lm_weights": tf.io.FixedLenFeature([P], tf.float32),
      "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
  }
  record = next(iter(tf.data.TFRecordDataset(summary.outputs)))
  parsed = tf.io.parse_single_example(record, original)
  assert parsed["input_ids"].shape == [S]
  # Model Garden's writer (the original's format) → our schema.
  mg = _model_garden_script()
  from official.nlp.tools import tokenization as mg_tokenization
  theirs = str(tmp_path / "theirs.tfrecord")
  mg.write_instance_to_example_files(
      mg_instances[:10], mg_tokenization.FullTokenizer(vocab, True), S, P,
      [theirs], False, False)
  ours = _read([theirs], "bert")
  assert ours["input_ids"].shape == (10, S)
  inputs = features.to_model_inputs(tf.io.parse_example(
      next(iter(tf.data.TFRecordDataset([theirs]).batch(10))),
      features.pretraining_feature_spec("bert", S, P)))
  assert inputs["input_word_ids"].dtype == tf.int32


def test_model_garden_loader_reads_ours(bert_run):
  summary, records, _, _ = bert_run
  from official.nlp.data import pretrain_dataloader
  config = pretrain_dataloader.BertPretrainDataConfig(
      input_path=summary.outputs[0], global_batch_size=8, seq_length=S,
      max_predictions_per_seq=P, is_training=False)
  batch = next(iter(pretrain_dataloader.BertPretrainDataLoader(config).load()))
  np.testing.assert_array_equal(batch["input_word_ids"],
                                records["input_ids"][:8])
  np.testing.assert_array_equal(batch["next_sentence_labels"],
                                records["next_sentence_labels"][:8])


# ---------------------------------------------------------------- ALBERT
@pytest.fixture(scope="module")
def albert_run(tmp_path_factory):
  from tests.conftest import shared_path
  source = shared_path("data", "corpus", "pubmed_ncbi_disease.txt")
  tmp = tmp_path_factory.mktemp("albert")
  path = _slice_corpus(source, tmp / "corpus.txt", 300)
  spm = vocab_lib.train_sentencepiece(path, str(tmp / "spm"), vocab_size=800)
  summary = _run(path, str(tmp / "albert.tfrecord"), spm=spm.outputs[0],
                 model_family="albert", dupe_factor=3)
  return summary, _read(summary.outputs, "albert"), spm.outputs[0]


def test_albert_sentence_order_and_ngrams(albert_run):
  summary, records, _ = albert_run
  totals = _manifest(summary)["totals"]
  n = summary.instances
  labels = records["next_sentence_labels"][:, 0]
  forced = totals["forced_random_next"]
  # Swapped with probability 1/2 (one-sentence chunks take B elsewhere).
  assert _rate_close((labels.sum() - forced) / (n - forced), n - forced,
                     0.5, 1e9)
  drawn = np.array([totals[f"ngram_sampled_{k}"] for k in (1, 2, 3)])
  for k, expected in enumerate((6 / 11, 3 / 11, 2 / 11)):
    assert _rate_close(drawn[k] / drawn.sum(), drawn.sum(), expected, 1e9)
  lengths = records["input_mask"].sum(1)
  predictions = records["masked_lm_weights"].sum(1)
  assert (predictions <= np.minimum(P, np.round(lengths * 0.15))).all()
  assert predictions.mean() > 0.9 * np.minimum(P, lengths * 0.15).mean()


def test_albert_token_boundary_is_consistent_with_the_tokenizer(albert_run):
  _, records, spm_model = albert_run
  tok = tokenization.SentencePieceTokenizer(spm_model)
  starts = np.array([tok.is_word_start(t) for t in tok.vocab])
  ids, mask = records["input_ids"], records["input_mask"]
  # A masked position holds [MASK] or a random id: use the original id.
  original = ids.copy()
  r, c = np.nonzero(records["masked_lm_weights"])
  original[r, records["masked_lm_positions"][r, c]] = \
      records["masked_lm_ids"][r, c]
  specials = (original == tok.cls_id) | (original == tok.sep_id)
  expected = ((specials | starts[original]) & (mask == 1)).astype(int)
  np.testing.assert_array_equal(records["token_boundary"], expected)
  # Whole words: a masked continuation piece follows a masked piece.
  masked = np.zeros(ids.shape, bool)
  masked[r, records["masked_lm_positions"][r, c]] = True
  cont = masked & ~starts[original] & ~specials
  cont[:, 0] = False
  prev = np.roll(masked, 1, axis=1) | np.roll(specials, 1, axis=1)
  assert (prev[cont]).all()


def test_sentencepiece_word_starts_follow_albert(albert_run):
  _, _, spm_model = albert_run
  tok = tokenization.SentencePieceTokenizer(spm_model)
  # google-research/albert create_pretraining_data.py `_is_start_piece_sp`,
  # transcribed: "▁" or "<" first, one of its punctuation pieces, or any
  # character whose lower case is outside a-z and that punctuation set. (Its
  # "€" and "£" entries are UTF-8 bytes, which no str piece equals; both are
  # outside a-z, so the last rule makes them starts anyway.)
  special = set('!"#$%&"()*+,-./:;?@[\\]^_`{|}~')
  english = set("abcdefghijklmnopqrstuvwxyz")
  for piece in tok.vocab:
    if piece in tok.special_tokens:
      continue
    albert = (piece.startswith("\u2581") or piece.startswith("<") or
              piece in special or
              not all(ch.lower() in english | special for ch in piece))
    assert tok.is_word_start(piece) == albert, piece
  # The vocabulary has pieces on both sides of the third rule.
  third = [p for p in tok.vocab if not p.startswith(("\u2581", "<")) and
           p not in special and p not in tok.special_tokens and
           tok.is_word_start(p)]
  assert any(ch.isdigit() for p in third for ch in p), third


# --------------------------------------------------------------- ELECTRA
def _electra_oracle(docs, max_length, rng):
  """google-research/electra ExampleBuilder → (first, second) lengths."""
  out = []
  state = {"sentences": [], "length": 0, "target": max_length}

  def create():
    if rng.random() < 0.1:
      first_target = 100000
    else:
      first_target = (state["target"] - 3) // 2
    first, second = [], []
    for sentence in state["sentences"]:
      if (not first or len(first) + len(sentence) < first_target or
          (not second and len(first) < first_target and rng.random() < 0.5)):
        first += sentence
      else:
        second += sentence
    first = first[:max_length - 2]
    second = second[:max(0, max_length - len(first) - 3)]
    state.update(sentences=[], length=0)
    if rng.random() < 0.05:
      state["target"] = rng.randint(5, max_length)
    else:
      state["target"] = max_length
    out.append((len(first), len(second)))

  for doc in docs:
    for ids in doc:
      state["sentences"].append(ids)
      state["length"] += len(ids)
      if state["length"] >= state["target"]:
        create()
    if state["length"]:
      create()
  return out


def test_electra_packing_matches_the_original(bert_vocab, ncbi_corpus,
                                              tmp_path):
  path = _slice_corpus(ncbi_corpus, tmp_path / "corpus.txt", 400)
  summary = _run(path, str(tmp_path / "e.tfrecord"), bert_vocab,
                 model_family="electra", dupe_factor=1)
  records = _read(summary.outputs, "electra", max_predictions=None)
  assert set(records) == {"input_ids", "input_mask", "segment_ids"}
  tok = tokenization.WordpieceTokenizer(bert_vocab)
  docs = [tok.encode_batch(d.lines) for d in corpus.iter_documents([path])]
  docs = [[ids for ids in doc if ids] for doc in docs]
  oracle = np.array(_electra_oracle(docs, S, random.Random(0)))
  lengths = records["input_mask"].sum(1)
  two_segments = records["segment_ids"].max(1) == 1
  assert abs(len(lengths) - len(oracle)) <= 0.03 * len(oracle)
  oracle_lengths = oracle.sum(1) + 2 + (oracle[:, 1] > 0)
  assert _mean_close(lengths, oracle_lengths)
  assert _rate_close(two_segments.mean(), len(lengths),
                     (oracle[:, 1] > 0).mean(), len(oracle))
  assert lengths.max() <= S


def test_electra_offline_masks(small_vocab, tmp_path):
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(60))
  summary = _run(path, str(tmp_path / "e.tfrecord"), small_vocab,
                 model_family="electra", electra_offline_masks=True,
                 dupe_factor=2, max_seq_length=32, max_predictions_per_seq=5)
  records = _read(summary.outputs, "electra", max_predictions=5, seq=32)
  assert set(records) == {"input_ids", "input_mask", "segment_ids",
                          "masked_lm_positions", "masked_lm_ids",
                          "masked_lm_weights"}
  lengths = records["input_mask"].sum(1)
  np.testing.assert_array_equal(
      records["masked_lm_weights"].sum(1),
      np.minimum(5, np.maximum(1, np.round(lengths * 0.15))))


# ------------------------------------------------------------------ scale
def test_same_output_whatever_the_number_of_workers(small_vocab, tmp_path):
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(240, seed=3))
  common = dict(dupe_factor=2, max_seq_length=32, max_predictions_per_seq=5,
                num_output_shards=3, block_bytes=3000)
  one = _run(path, str(tmp_path / "w1" / "out"), small_vocab, workers=1,
             **common)
  two = _run(path, str(tmp_path / "w2" / "out"), small_vocab, workers=2,
             **common)
  assert one.instances == two.instances > 0
  for a, b in zip(one.outputs, two.outputs):
    with open(a, "rb") as fa, open(b, "rb") as fb:
      assert fa.read() == fb.read()
  strip = lambda m: [dict(s, path=None) for s in m["shards"]]
  assert strip(_manifest(one)) == strip(_manifest(two))


def test_a_rerun_after_a_crash_redoes_only_missing_shards(small_vocab,
                                                          tmp_path,
                                                          monkeypatch):
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(90, seed=5))
  common = dict(dupe_factor=2, max_seq_length=32, max_predictions_per_seq=5,
                num_output_shards=3, block_bytes=2000)
  clean = _run(path, str(tmp_path / "clean" / "out"), small_vocab, **common)

  process = pipeline.BlockProcessor.process

  def crash_in_shard_two(self, shard, block, documents):
    if shard == 2 and block == 1:
      raise RuntimeError("simulated crash")
    return process(self, shard, block, documents)

  monkeypatch.setattr(pipeline.BlockProcessor, "process", crash_in_shard_two)
  out = str(tmp_path / "run" / "out")
  with pytest.raises(RuntimeError, match="simulated crash"):
    _run(path, out, small_vocab, **common)
  done = [clean.outputs[0].replace("clean", "run"),
          clean.outputs[1].replace("clean", "run")]
  missing = clean.outputs[2].replace("clean", "run")
  assert all(tf.io.gfile.exists(p) for p in done)
  assert not tf.io.gfile.exists(missing)
  assert not tf.io.gfile.exists(missing + fileio.INCOMPLETE_SUFFIX)
  mtimes = [tf.io.gfile.stat(p).mtime_nsec for p in done]
  # A hard crash can leave a temporary file; it is simply overwritten.
  with open(missing + fileio.INCOMPLETE_SUFFIX, "wb") as f:
    f.write(b"half a shard")

  monkeypatch.setattr(pipeline.BlockProcessor, "process", process)
  resumed = _run(path, out, small_vocab, **common)
  assert (resumed.shards_skipped, resumed.shards_written) == (2, 1)
  assert [tf.io.gfile.stat(p).mtime_nsec for p in done] == mtimes
  for a, b in zip(clean.outputs, resumed.outputs):
    with open(a, "rb") as fa, open(b, "rb") as fb:
      assert fa.read() == fb.read()
  assert not tf.io.gfile.exists(missing + fileio.INCOMPLETE_SUFFIX)
  assert _manifest(resumed)["complete"]
  # Other flags: everything is redone.
  again = _run(path, out, small_vocab, **dict(common, random_seed=7))
  assert again.shards_skipped == 0


def test_gfile_paths_and_gzip_output(small_vocab):
  docs = synthetic_documents(30, seed=8)
  with tf.io.gfile.GFile("ram://pipeline_test/in/c.txt", "w") as f:
    f.write("\n\n".join("\n".join(d) for d in docs) + "\n")
  summary = _run("ram://pipeline_test/in/*.txt",
                 "ram://pipeline_test/out/data.tfrecord", small_vocab,
                 gzip=True, dupe_factor=1, max_seq_length=32,
                 max_predictions_per_seq=5)
  records = _read(summary.outputs, "bert", 5, 32, compression="GZIP")
  assert len(records["input_ids"]) == summary.instances > 0
  assert _manifest_ram(summary)["config"]["compression"] == "GZIP"


def _manifest_ram(summary):
  with tf.io.gfile.GFile(summary.manifest_path) as f:
    return json.loads(f.read())


# -------------------------------------------------------------- bad input
def test_invalid_utf8_fails_or_is_counted(small_vocab, tmp_path):
  path = tmp_path / "bad.txt"
  path.write_bytes(b"alpha beta gamma.\ndelta cell.\n\n"
                   b"gene \xff\xfe tumor.\nmouse assay dose.\n")
  out = str(tmp_path / "out")
  with pytest.raises(corpus.CorpusError, match=r"bad\.txt:4: invalid UTF-8"):
    _run(str(path), out, small_vocab, max_seq_length=32,
         max_predictions_per_seq=5)
  assert not tf.io.gfile.exists(out)
  summary = _run(str(path), out, small_vocab, invalid_utf8="skip",
                 max_seq_length=32, max_predictions_per_seq=5)
  skipped = _manifest(summary)["skipped"]
  assert skipped["invalid_utf8_lines"] == 1
  assert skipped["invalid_utf8_locations"] == [f"{path}:4"]
  assert summary.instances > 0


def test_empty_files_and_documents_are_counted(small_vocab, tmp_path):
  (tmp_path / "in").mkdir()
  (tmp_path / "in" / "a_empty.txt").write_text("", "utf-8")
  # A document whose only line tokenizes to nothing (a zero-width space).
  (tmp_path / "in" / "b.txt").write_text(
      "alpha beta.\ngamma delta.\n\n\u200b\n\ncell gene tumor.\nmouse.\n",
      "utf-8")
  summary = _run(str(tmp_path / "in" / "*.txt"), str(tmp_path / "out"),
                 small_vocab, max_seq_length=32, max_predictions_per_seq=5)
  manifest = _manifest(summary)
  assert manifest["skipped"]["empty_files"] == [
      str(tmp_path / "in" / "a_empty.txt")]
  assert manifest["skipped"]["empty_documents"] == 1
  assert summary.documents == 3 and summary.instances > 0
  # Nothing but empty files: an error, not an empty output.
  with pytest.raises(corpus.CorpusError, match="no documents"):
    _run(str(tmp_path / "in" / "a_empty.txt"), str(tmp_path / "out2"),
         small_vocab)


def test_a_one_megabyte_line(small_vocab, tmp_path):
  words = ("alpha beta gamma delta kinase protein " * 30000)[:1 << 20]
  docs = synthetic_documents(20, seed=9)
  docs[3] = [docs[3][0], words, docs[3][-1]]
  docs[7] = [words]
  path = write_corpus(tmp_path / "c.txt", docs)
  summary = _run(path, str(tmp_path / "out"), small_vocab, dupe_factor=2,
                 max_seq_length=32, max_predictions_per_seq=5)
  records = _read(summary.outputs, "bert", 5, 32)
  assert len(records["input_ids"]) == summary.instances > 0
  assert records["input_mask"].sum(1).max() <= 32


def test_a_vocab_without_mask_or_cls(tmp_path):
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(5))
  vocab = write_vocab(tmp_path / "vocab.txt",
                      specials=["[PAD]", "[UNK]", "[SEP]"])
  with pytest.raises(tokenization.TokenizerError,
                     match=r"vocab\.txt.*\[CLS\].*\[MASK\]"):
    _run(path, str(tmp_path / "out"), vocab)
  assert not tf.io.gfile.exists(str(tmp_path / "out"))


@pytest.mark.parametrize("options,match", [
    (dict(max_seq_length=4), "--max_seq_length=4"),
    (dict(masked_lm_prob=1.5), "--masked_lm_prob=1.5"),
    (dict(dupe_factor=0), "--dupe_factor=0"),
    (dict(model_family="gpt"), "--model_family='gpt'"),
    (dict(max_predictions_per_seq=200), "--max_predictions_per_seq=200"),
    (dict(num_output_shards=1000), "--num_output_shards=1000"),
])
def test_bad_flags_are_named(small_vocab, tmp_path, options, match):
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(5))
  with pytest.raises(ValueError, match=match):
    _run(path, str(tmp_path / "out"), small_vocab, **options)


def test_a_flag_error_is_the_one_data_error(small_vocab, tmp_path):
  """Data creation and the task readers raise one DataError type."""
  from biom_tf.tasks import DataError  # pylint: disable=g-import-not-at-top
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(5))
  with pytest.raises(DataError, match="--dupe_factor=0"):
    _run(path, str(tmp_path / "out"), small_vocab, dupe_factor=0)


def test_manifest_format(small_vocab, tmp_path):
  """The manifest's bytes (both runners write them alike): JSON indented by
  one space, keys in the writer's order, a final newline; no temporary
  file is left beside it."""
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(6, seed=2))
  summary = _run(path, str(tmp_path / "out" / "d"), small_vocab,
                 max_seq_length=24, max_predictions_per_seq=3, dupe_factor=1,
                 num_output_shards=2)
  with open(summary.manifest_path, encoding="utf-8") as f:
    text = f.read()
  value = json.loads(text)
  assert text == json.dumps(value, indent=1) + "\n"
  assert list(value) == ["format", "config", "skipped", "totals", "complete",
                         "shards"]
  assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
      "d-00000-of-00002", "d-00001-of-00002", "d.manifest.json"]


def test_unreadable_and_unwritable_paths(small_vocab, tmp_path):
  with pytest.raises(corpus.CorpusError, match="missing.txt: no such file"):
    _run(str(tmp_path / "missing.txt"), str(tmp_path / "out"), small_vocab)
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(5))
  blocker = tmp_path / "a_file"
  blocker.write_text("x")
  with pytest.raises(writer.OutputError, match="a_file"):
    _run(path, str(blocker / "out.tfrecord"), small_vocab)


def _crc32c(data: bytes) -> int:
  """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit."""
  crc = 0xFFFFFFFF
  for byte in data:
    crc ^= byte
    for _ in range(8):
      crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
  return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
  return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@pytest.mark.parametrize("compress", [False, True])
def test_tfrecord_bytes_framing_follows_the_format(compress):
  # Records of 0, 1, 7 and 300 bytes, the empty one in the middle.
  records = [b"x", b"", bytes(range(7)), bytes(range(256)) + b"abc" * 15]
  data = b"".join(records)
  offsets = np.cumsum([0] + [len(r) for r in records])
  framed = writer.tfrecord_bytes(data, offsets, compress=compress)
  if compress:
    import gzip
    framed = gzip.decompress(framed)
  # length (uint64 LE), masked CRC-32C of the length, data, masked CRC-32C
  # of the data: TFRecord's published framing.
  expected = b""
  for r in records:
    length = len(r).to_bytes(8, "little")
    expected += (length + _masked(_crc32c(length)).to_bytes(4, "little") + r +
                 _masked(_crc32c(r)).to_bytes(4, "little"))
  assert framed == expected
  assert _crc32c(b"123456789") == 0xE3069283  # the standard check value


# ------------------------------------------------- what the run says first
def test_opening_line_names_dupe_factor_and_electra_without_masks(
    small_vocab, tmp_path):
  """--dupe_factor's default (10, the original's) multiplies the output: the
  opening line says which value is used; ELECTRA records without masks need
  --vocab_file in pretraining, and the opening line says that too."""
  path = write_corpus(tmp_path / "c.txt", synthetic_documents(4, seed=9))

  def opening_line(**options):
    log = io.StringIO()
    pipeline.create_pretraining_data(
        path, str(tmp_path / options["model_family"] / "d"),
        vocab_file=small_vocab, options=pipeline.DataOptions(
            max_seq_length=24, max_predictions_per_seq=3, **options),
        progress=log)
    return log.getvalue().splitlines()[0]

  bert = opening_line(model_family="bert")
  assert bert.startswith("create_pretraining_data: 4 documents in 1 file(s)")
  assert ("bert records, max_seq_length=24, dupe_factor=10 (each document "
          "used 10 time(s)), max_predictions_per_seq=3") in bert
  electra = opening_line(model_family="electra", dupe_factor=1)
  assert electra.endswith(
      "electra records, max_seq_length=24, dupe_factor=1 (each document used "
      "1 time(s)), written without masks: pretraining masks them online, so "
      "give run_pretraining --vocab_file (or --spm_model_file)")
