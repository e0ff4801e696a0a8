"""The pretraining input pipeline: which files it reads, and its seekable order.

Records come from the real datagen (tfrecords.pipeline) on the first 1,500
lines of the shared PubMed corpus: three gzip shards beside their manifest.
The order tests use small hand-written files of unequal sizes (one empty),
so that epochs, groups and shuffle blocks end in the middle of batches.
"""
import json
import os
import shutil

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import inputs
from tests.conftest import shared_path
from tests.training.conftest import PREDICTIONS
from tests.training.conftest import SEQ
from tests.training.conftest import build_small_vocab
from tests.training.read_counter import ReadCounter


@pytest.fixture(scope="module")
def gzip_records(tmp_path_factory):
  """dict(dir, prefix, manifest, vocab_size): 3 gzip BERT shards."""
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  corpus = shared_path("data", "corpus", "pubmed_ncbi_disease.txt")
  root = tmp_path_factory.mktemp("gzip_records")
  small = root / "corpus.txt"
  with open(corpus, encoding="utf-8") as f:
    small.write_text("".join(f.readlines()[:1500]), encoding="utf-8")
  vocab = str(root / "vocab.txt")
  vocab_size = build_small_vocab(str(small), vocab)
  prefix = str(root / "records" / "pubmed.tfrecord")
  summary = pipeline.create_pretraining_data(
      str(small), prefix, vocab_file=vocab, progress=None,
      options=pipeline.DataOptions(
          model_family="bert", max_seq_length=SEQ,
          max_predictions_per_seq=PREDICTIONS, dupe_factor=1,
          num_output_shards=3, gzip=True))
  return dict(dir=str(root / "records"), prefix=prefix,
              manifest=summary.manifest_path, vocab_size=vocab_size,
              outputs=summary.outputs)


def _manifest_records(manifest):
  with open(manifest) as f:
    return sum(s["records"] for s in json.load(f)["shards"])


def test_glob_takes_only_shards_and_reads_gzip(gzip_records, capsys):
  """`records/*` also matches the manifest and an unfinished shard; the
  docs' `records/pubmed.tfrecord*` matches the manifest too. Both give the
  three gzip shards, saying in one line what was skipped."""
  d = gzip_records["dir"]
  with open(os.path.join(d, "pubmed.tfrecord-00001-of-00003.incomplete"),
            "wb") as f:
    f.write(b"half a shard")
  for pattern in (d + "/*", gzip_records["prefix"] + "*"):
    shards = inputs.list_shards(pattern)
    assert [s.path for s in shards] == gzip_records["outputs"]
    assert {s.compression for s in shards} == {"GZIP"}
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "pubmed.tfrecord.manifest.json (datagen manifest)" in err[0]
  os.remove(os.path.join(d, "pubmed.tfrecord-00001-of-00003.incomplete"))
  # The records read through, every one: as many as the manifest counts.
  dataset = inputs.pretraining_dataset(
      d + "/*", "bert", SEQ, PREDICTIONS, batch_size=1, is_training=False)
  assert sum(1 for _ in dataset) == _manifest_records(
      gzip_records["manifest"])


def test_files_that_are_not_records(gzip_records, tmp_path, capsys):
  d = tmp_path / "records"
  shutil.copytree(gzip_records["dir"], d)
  (d / "README.txt").write_text("not records\n")
  shards = inputs.list_shards(str(d / "*"))
  assert len(shards) == 3
  assert "README.txt (not a TFRecord file" in capsys.readouterr().err
  # Named without a wildcard, it is an error naming it.
  with pytest.raises(inputs.InputError, match=r"README\.txt: not a TFRecord"):
    inputs.list_shards(str(d / "README.txt"))


def test_input_file_means_what_it_means_to_the_datagen(gzip_records,
                                                      tmp_path):
  """The trainer and the corpus reader expand --input_file alike: a glob's
  directories are left out, a pattern without files is the same line."""
  from tfrecords import corpus  # pylint: disable=g-import-not-at-top
  d = tmp_path / "records"
  shutil.copytree(gzip_records["dir"], d)
  (d / "sub").mkdir()
  shards = inputs.list_shards(f"{d}/*,{d}/pubmed.tfrecord-00000-of-00003",
                              verbose=False)
  assert [s.path for s in shards] == [
      p.replace(gzip_records["dir"], str(d)) for p in gzip_records["outputs"]]
  for pattern in (f"{d}/none*", str(d / "sub")):
    with pytest.raises(inputs.InputError) as trainer:
      inputs.list_shards(pattern)
    with pytest.raises(corpus.CorpusError) as datagen:
      corpus.expand_patterns(pattern)
    assert str(trainer.value) == str(datagen.value)
    assert str(trainer.value).startswith(f"{pattern}: no such file (the "
                                         "pattern matches ")


def test_no_input_file_names_the_flag():
  with pytest.raises(inputs.InputError) as error:
    inputs.list_shards(" , ")
  assert str(error.value) == ("--input_file: expected one or more paths or "
                              "globs, got none")


def test_shard_damaged_against_the_manifest_is_named(gzip_records, tmp_path):
  d = tmp_path / "records"
  shutil.copytree(gzip_records["dir"], d)
  shard = d / "pubmed.tfrecord-00002-of-00003"
  data = shard.read_bytes()
  shard.write_bytes(data[:len(data) // 2])
  with pytest.raises(inputs.InputError) as e:
    inputs.list_shards(str(d / "pubmed.tfrecord*"))
  message = str(e.value)
  assert "\n" not in message
  assert message.startswith(f"{shard}: damaged shard: {len(data) // 2} bytes")
  assert f"says {len(data)}" in message


def test_stale_shards_of_an_earlier_run_are_skipped(gzip_records, tmp_path,
                                                    capsys):
  d = tmp_path / "records"
  shutil.copytree(gzip_records["dir"], d)
  stale = d / "pubmed.tfrecord-00000-of-00002"
  shutil.copy(d / "pubmed.tfrecord-00000-of-00003", stale)
  shards = inputs.list_shards(str(d / "pubmed.tfrecord-*"))
  assert str(stale) not in [s.path for s in shards] and len(shards) == 3
  assert "pubmed.tfrecord-00000-of-00002 (not an output of" in (
      capsys.readouterr().err)


def test_token_ids_beyond_the_vocabulary_are_named(gzip_records):
  with pytest.raises(inputs.InputError) as e:
    inputs.pretraining_dataset(
        gzip_records["prefix"] + "*", "bert", SEQ, PREDICTIONS, 8, True,
        vocab_size=40)
  message = str(e.value)
  assert message.startswith(gzip_records["outputs"][0] + ": record 0 holds "
                            "token id ")
  assert "vocab_size is 40" in message
  # The real vocabulary passes.
  inputs.pretraining_dataset(gzip_records["prefix"] + "*", "bert", SEQ,
                             PREDICTIONS, 8, True,
                             vocab_size=gzip_records["vocab_size"])


# ------------------------------------------------------------ the order
def _write(path, count, tag, gzip=False):
  """`count` BERT examples whose input_ids start [tag, i]: their identity."""
  options = tf.io.TFRecordOptions(compression_type="GZIP" if gzip else "")

  def ints(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

  with tf.io.TFRecordWriter(str(path), options) as writer:
    for i in range(count):
      feature = dict(
          input_ids=ints([tag, i] + [0] * (SEQ - 2)),
          input_mask=ints([1] * SEQ), segment_ids=ints([0] * SEQ),
          masked_lm_positions=ints([1] * PREDICTIONS),
          masked_lm_ids=ints([1] * PREDICTIONS),
          masked_lm_weights=tf.train.Feature(
              float_list=tf.train.FloatList(value=[1.0] * PREDICTIONS)),
          next_sentence_labels=ints([0]))
      writer.write(tf.train.Example(features=tf.train.Features(
          feature=feature)).SerializeToString())


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
  root = tmp_path_factory.mktemp("order")
  counts = [13, 0, 29, 5, 17, 2, 11]  # 77 records an epoch
  for i, n in enumerate(counts):
    _write(root / f"part-{i}", n, i, gzip=bool(i % 2))
  return inputs.list_shards(str(root / "part-*")), sum(counts)


def _ids(batch):
  return [tuple(x) for x in batch["input_word_ids"][:, :2].numpy().tolist()]


def _batches(shards, skip, n, pipelines=1, index=0, **kwargs):
  """Batches (lists of record identities) of one pipeline, from `skip`."""
  context = None
  if pipelines > 1:
    context = tf.distribute.InputContext(pipelines, index, pipelines)
  settings = dict(seed=5, cycle_length=3, shuffle_buffer=10)
  settings.update(kwargs)
  dataset = inputs.pretraining_dataset(
      shards, "bert", SEQ, PREDICTIONS, batch_size=4, is_training=True,
      input_context=context, skip_batches=skip, **settings)
  return [_ids(b) for b in dataset.take(n)]


@pytest.mark.parametrize("cycle,block", [(3, 10), (8, 7), (1, 1)])
def test_order_from_any_step_is_the_uninterrupted_order(small_files, cycle,
                                                        block):
  """Started at any step, the batches continue those of a run started at 0:
  inside groups, at group and epoch ends, inside shuffle blocks."""
  shards, per_epoch = small_files
  settings = dict(cycle_length=cycle, shuffle_buffer=block)
  whole = _batches(shards, 0, 100, **settings)  # 400 records, 5.2 epochs
  # Steps 19 and 38 start 1 and 2 records before an epoch ends (records 76
  # and 152; 77 an epoch): their batches span two epochs.
  records = [r for b in whole for r in b]
  if block == 1:  # unshuffled: every epoch holds every record once
    for e in range(5):
      assert len(set(records[e * per_epoch:(e + 1) * per_epoch])) == per_epoch
  assert records[:per_epoch] != records[per_epoch:2 * per_epoch]
  rng = np.random.default_rng(cycle)
  steps = sorted({1, per_epoch // 4, per_epoch // 4 + 1, 38, 57,
                  *rng.integers(0, 95, size=3).tolist()})
  for step in steps:
    assert _batches(shards, step, 5, **settings) == whole[step:step + 5], step


def test_pipelines_resume_exactly_and_together_read_one_pipelines_batch(
    small_files):
  """With fewer files than pipelines (here one file, two pipelines) all
  read one stream and take every other record: per step the two read the
  records one pipeline reads in two batches. With more files each pipeline
  reads its own. Either way each resumes exactly."""
  shards, _ = small_files
  one = [shards[2]]
  single = _batches(one, 0, 12)
  split = [_batches(one, 0, 6, pipelines=2, index=i) for i in range(2)]
  for step in range(6):
    assert sorted(split[0][step] + split[1][step]) == sorted(
        single[2 * step] + single[2 * step + 1])
  for files in (one, shards):
    for i in range(2):
      whole = _batches(files, 0, 9, pipelines=2, index=i)
      assert _batches(files, 4, 5, pipelines=2, index=i) == whole[4:9]
  mine = {r for b in _batches(shards, 0, 30, pipelines=2, index=0) for r in b}
  theirs = {r for b in _batches(shards, 0, 30, pipelines=2, index=1) for r in b}
  assert not mine & theirs


def test_resuming_late_reads_what_one_group_needs(small_files):
  """The records read to give the first batch at step 10 and at step 10^6
  (4 per batch) are at most the files once through (the offset within the
  group), the shuffle block and the prefetch: reading and discarding the
  trained batches would read 4 million."""
  shards, per_epoch = small_files
  counts = {}
  for skip in (10, 10 ** 6):
    with ReadCounter() as counter:
      dataset = inputs.pretraining_dataset(
          shards, "bert", SEQ, PREDICTIONS, 4, True, seed=1,
          skip_batches=skip, cycle_length=8, shuffle_buffer=50)
      next(iter(dataset))
      counts[skip] = counter.count
  bound = per_epoch + 3 * 50 + 8 * 4
  assert 0 < counts[10] <= bound and 0 < counts[10 ** 6] <= bound, counts


def test_counts_without_a_manifest_are_cached(small_files, tmp_path):
  """Files no manifest describes are counted on the first resume and the
  counts kept (keyed by path and size); a file whose size changed is
  counted again."""
  shards, _ = small_files
  cache = tmp_path / "input_records.json"
  fresh = inputs.list_shards([s.path for s in shards], verbose=False)
  _batches(fresh, 3, 1, counts_cache=str(cache))
  saved = json.loads(cache.read_text())
  want = {s.path: [s.size, sum(1 for _ in tf.data.TFRecordDataset(
      s.path, compression_type=s.compression))] for s in shards}
  assert saved == want
  again = inputs.list_shards([s.path for s in shards], verbose=False)
  with ReadCounter() as counter:
    inputs.RecordOrder(again, 5, 3, 10, str(cache)).epoch_records()
  assert counter.count == 0
  saved[shards[0].path] = [1, 999]  # another size: not trusted
  cache.write_text(json.dumps(saved))
  again = inputs.list_shards([s.path for s in shards], verbose=False)
  assert inputs.RecordOrder(again, 5, 3, 10, str(cache)).epoch_records() == (
      sum(v[1] for v in want.values()))
