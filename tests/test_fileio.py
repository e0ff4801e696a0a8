"""biom_tf.fileio: the one meaning of --input_file, atomic JSON writes, the
one-line errors of reading a file's bytes, text and JSON."""
import os
import subprocess
import sys

import biom_tf  # noqa: F401
import pytest
import tensorflow as tf

from biom_tf import errors
from biom_tf import fileio
from tests.conftest import REPO_ROOT


class _Error(ValueError):
  pass


@pytest.fixture
def tree(tmp_path):
  """b.txt, a.txt, c.gz and a directory d.txt/ holding e.txt."""
  for name in ("b.txt", "a.txt", "c.gz"):
    (tmp_path / name).write_text(name)
  (tmp_path / "d.txt").mkdir()
  (tmp_path / "d.txt" / "e.txt").write_text("e")
  return tmp_path


def test_globs_are_sorted_deduplicated_and_skip_directories(tree):
  t = str(tree)
  expected = [f"{t}/a.txt", f"{t}/b.txt", f"{t}/c.gz"]
  # Comma-separated (blanks ignored) or a list; a file named twice is kept
  # at its first place; the directory d.txt/ is left out.
  assert fileio.expand_patterns(f" {t}/*.txt , ,{t}/c.gz,{t}/a.txt") == (
      expected)
  assert fileio.expand_patterns([f"{t}/*.txt", f"{t}/c.gz"]) == expected
  assert fileio.expand_patterns(f"{t}/c.gz,{t}/*") == [
      f"{t}/c.gz", f"{t}/a.txt", f"{t}/b.txt"]
  assert fileio.expand_patterns(f"{t}/d.txt/e.txt") == [f"{t}/d.txt/e.txt"]


@pytest.mark.parametrize("pattern,message", [
    ("{t}/a.txt,{t}/none*.txt",
     "{t}/none*.txt: no such file (the pattern matches nothing)"),
    ("{t}/missing.txt",
     "{t}/missing.txt: no such file (the pattern matches nothing)"),
    ("{t}/d.txt", "{t}/d.txt: no such file (the pattern matches only "
     "directories)"),
    (" , ", "input_file: expected one or more paths or globs, got none"),
])
def test_a_pattern_without_files_is_one_line_in_the_callers_error(
    tree, pattern, message):
  with pytest.raises(_Error) as error:
    fileio.expand_patterns(pattern.format(t=tree), _Error)
  assert str(error.value) == message.format(t=tree)


def test_no_pattern_names_the_callers_flag():
  with pytest.raises(_Error, match="^--input_file: expected one or more "
                     "paths or globs, got none$"):
    fileio.expand_patterns(" , ", _Error, name="--input_file")


def test_one_thread_pool_for_all_patterns(tree, monkeypatch):
  pools = []
  real = fileio.concurrent.futures.ThreadPoolExecutor

  def counted(*args, **kwargs):
    pools.append(args)
    return real(*args, **kwargs)
  monkeypatch.setattr(fileio.concurrent.futures, "ThreadPoolExecutor",
                      counted)
  t = str(tree)
  assert len(fileio.expand_patterns(f"{t}/a.txt,{t}/b.txt,{t}/*.gz")) == 3
  assert len(pools) == 1


def test_write_json_formats_and_leaves_no_temporary_file(tmp_path):
  path = str(tmp_path / "x.json")
  value = {"b": [1, 2], "a": {"d": None, "c": "é"}}
  fileio.write_json(path, value)
  # Hand-written: indent 2, keys sorted, ASCII escapes, a final newline.
  assert open(path, encoding="utf-8").read() == (
      '{\n  "a": {\n    "c": "\\u00e9",\n    "d": null\n  },\n  "b": [\n'
      '    1,\n    2\n  ]\n}\n')
  fileio.write_json(path, value, indent=1, sort_keys=False)  # the manifest's
  assert open(path, encoding="utf-8").read() == (
      '{\n "b": [\n  1,\n  2\n ],\n "a": {\n  "d": null,\n  "c": '
      '"\\u00e9"\n }\n}\n')
  assert fileio.read_json(path) == value
  assert os.listdir(tmp_path) == ["x.json"]


def test_a_failed_atomic_write_keeps_the_old_state(tmp_path):
  # The rename over a directory fails: nothing is replaced, no temporary
  # file is left behind; one line naming the file (once), an OSError too.
  (tmp_path / "taken").mkdir()
  (tmp_path / "taken" / "inside").write_text("kept")
  path = str(tmp_path / "taken")
  with pytest.raises(OSError) as error:
    fileio.write_json(path, {"a": 1})
  assert type(error.value) is errors.OutputError
  assert str(error.value) == f"{path}: cannot finish: Is a directory"
  assert sorted(os.listdir(tmp_path)) == ["taken"]
  assert os.listdir(tmp_path / "taken") == ["inside"]


def test_a_failed_write_names_the_file_once_not_its_temporary(tmp_path):
  path = str(tmp_path / "gone" / "d.manifest.json")
  with pytest.raises(errors.OutputError) as error:
    fileio.write_json(path, {"a": 1})
  assert str(error.value) == f"{path}: cannot write: No such file or directory"
  # TensorFlow's messages start with the path they failed on (here the
  # temporary): the reason is what follows it.
  e = tf.errors.NotFoundError(None, None, f"{path}.incomplete; No such file")
  assert errors.reason(e, (path, path + fileio.INCOMPLETE_SUFFIX)) == (
      "No such file")
  assert errors.reason(e, path) == ".incomplete; No such file"
  assert errors.reason(e) == f"{path}.incomplete; No such file"


def test_a_killed_writes_temporary_is_overwritten_by_the_next(where):
  # A run killed while writing leaves `<path>.incomplete`; the next write
  # of the path reuses that name: nothing is left behind.
  path = f"{where}/x.json"
  _put(where, "x.json" + fileio.INCOMPLETE_SUFFIX, b'{"half": ')
  fileio.write_json(path, {"a": 1})
  assert tf.io.gfile.listdir(where) == ["x.json"]
  assert fileio.read_json(path) == {"a": 1}


def test_write_atomic_writes_text_or_bytes(where):
  path = f"{where}/chart"
  fileio.write_atomic(path, b"\x89PNG\r\n\x1a\n\x00\xff")
  assert fileio.read_bytes(path, _Error) == b"\x89PNG\r\n\x1a\n\x00\xff"
  fileio.write_atomic(path, "é\n")
  assert fileio.read_bytes(path, _Error) == b"\xc3\xa9\n"
  assert tf.io.gfile.listdir(where) == ["chart"]


def test_an_atomic_file_block_that_raises_leaves_nothing(where):
  path = f"{where}/shard"
  with pytest.raises(KeyError):
    with fileio.atomic_file(path) as f:
      f.write(b"part")
      raise KeyError("the caller's error, as it is")
  assert tf.io.gfile.listdir(where) == []


@pytest.mark.parametrize("text", [None, "", "[1, 2]", "{not json", "\xff"])
def test_read_json_is_an_object_or_none(tmp_path, text):
  path = tmp_path / "x.json"
  if text is not None:
    path.write_bytes(text.encode("latin-1"))
  assert fileio.read_json(str(path)) is None


def test_write_json_without_ascii_escapes_writes_utf_8(tmp_path):
  # The Hugging Face tokenizer files: "é" as its two UTF-8 bytes.
  path = str(tmp_path / "x.json")
  fileio.write_json(path, {"c": "é", "a": 1}, ensure_ascii=False)
  assert open(path, "rb").read() == (
      b'{\n  "a": 1,\n  "c": "\xc3\xa9"\n}\n')


@pytest.fixture(params=["local", "ram"])
def where(request, tmp_path):
  """A directory on the local disk, or on TensorFlow's ram:// file system."""
  if request.param == "local":
    yield str(tmp_path)
    return
  directory = f"ram://fileio-{os.getpid()}-{tmp_path.name}"
  tf.io.gfile.makedirs(directory)
  yield directory
  tf.io.gfile.rmtree(directory)


def _put(directory, name, data: bytes):
  path = f"{directory}/{name}"
  with tf.io.gfile.GFile(path, "wb") as f:
    f.write(data)
  return path


def _message(read, path, *args, **kwargs):
  with pytest.raises(_Error) as error:
    read(path, _Error, *args, **kwargs)
  assert type(error.value) is _Error  # the caller's class, not a subclass
  message = str(error.value)
  assert "\n" not in message and message.startswith(f"{path}: ")
  return message[len(path) + 2:]


def test_readers_return_the_contents(where):
  path = _put(where, "x.json", '{"a": [1, "é"]}'.encode("utf-8"))
  assert fileio.read_bytes(path, _Error) == b'{"a": [1, "\xc3\xa9"]}'
  assert fileio.read_text(path, _Error) == '{"a": [1, "é"]}'
  assert fileio.read_json_value(path, _Error) == {"a": [1, "é"]}
  assert fileio.read_json_object(path, _Error) == {"a": [1, "é"]}
  assert fileio.read_json_value(_put(where, "l.json", b"[1]"), _Error) == [1]


def test_a_missing_or_unreadable_file_is_one_line(where):
  # Each reader's default WHAT: "file", or "JSON file" for the JSON readers.
  for read, what in ((fileio.read_bytes, "file"), (fileio.read_text, "file"),
                     (fileio.read_json_value, "JSON file"),
                     (fileio.read_json_object, "JSON file")):
    assert _message(read, f"{where}/none.json", "config file") == (
        "config file not found")
    assert _message(read, f"{where}/no/dir/x.json") == f"{what} not found"
  tf.io.gfile.makedirs(f"{where}/d")  # a directory cannot be read
  # TensorFlow's reason, without the path it repeats.
  reason = ("is a directory." if where.startswith("ram://") else
            "Is a directory")
  assert _message(fileio.read_bytes, f"{where}/d", "tokenizer config") == (
      f"cannot read tokenizer config ({reason})")


@pytest.mark.parametrize("data,read,message", [
    (b'{"a": 1}\n\xff', fileio.read_text, "not UTF-8 text (byte 9)"),
    (b'{"a": 1}\n\xff', fileio.read_json_object, "not UTF-8 text (byte 9)"),
    (b'{"a": 1,\n "b" 2}', fileio.read_json_value,
     "not valid JSON (line 2: Expecting ':' delimiter)"),
    (b"", fileio.read_json_object,
     "not valid JSON (line 1: Expecting value)"),
    (b"[1, 2]", fileio.read_json_object, "not a JSON object (got list)"),
    (b'"text"', fileio.read_json_object, "not a JSON object (got str)"),
])
def test_bad_contents_are_one_line(where, data, read, message):
  assert _message(read, _put(where, "x.json", data)) == message


def test_a_hint_ends_every_message(where):
  hint = "move it away to start over"
  assert _message(fileio.read_json_value, f"{where}/none.json", "record",
                  hint=hint) == f"record not found; {hint}"
  assert _message(fileio.read_json_object, _put(where, "x.json", b"{"),
                  hint=hint) == (
      f"not valid JSON (line 1: Expecting property name enclosed in double "
      f"quotes); {hint}")
  assert _message(fileio.read_json_object, _put(where, "y.json", b"[]"),
                  hint=hint) == f"not a JSON object (got list); {hint}"


def test_text_readers_and_writers_do_not_start_tensorflow():
  """The PubMed conversion's workers import the corpus reader and the
  writer (which use fileio) without TensorFlow: they start in a fraction of
  a second."""
  code = ("import sys, tfrecords.pubmed, tfrecords.corpus, tfrecords.writer; "
          "print('tensorflow' in sys.modules)")
  out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                       capture_output=True, text=True, timeout=120, check=True)
  assert out.stdout.strip() == "False"


def test_a_figure_is_written_as_png_and_nothing_else(tmp_path):
  pyplot = pytest.importorskip("matplotlib.pyplot")
  figure, axes = pyplot.subplots(figsize=(2, 1))
  axes.plot([0, 1], [1, 0])
  path = str(tmp_path / "chart.png")
  fileio.write_png(path, figure)
  pyplot.close(figure)
  with open(path, "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  assert os.listdir(tmp_path) == ["chart.png"]
