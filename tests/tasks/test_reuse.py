"""reuse.shared_tasks: what a shared task remembers, and when it forgets."""
import gc
import weakref

from biom_tf.tasks import reuse


class Example:
  def __init__(self, value):
    self.value = value


class Split(list):
  """A split weak references can follow."""


class CountingTask:
  """read sets `labels` from the directory, as the real tasks do."""

  def __init__(self):
    self.reads, self.encodes = [], 0

  def read(self, data_dir):
    self.reads.append(data_dir)
    self.labels = [data_dir.upper()]
    return {"train": Split([Example(data_dir)])}

  def encode(self, examples, tokenizer, max_seq_length, training):
    self.encodes += 1
    return Split([(e.value, tokenizer, max_seq_length) for e in examples])


def _shared(options="task"):
  return reuse.task_for(options, CountingTask)


def test_outside_a_block_every_task_is_fresh():
  assert _shared() is not _shared()


def test_one_read_and_one_encoding_per_directory_and_tokenizer():
  with reuse.shared_tasks():
    task = _shared()
    assert _shared() is task
    train = task.read("a")["train"]
    assert task.encode(train, "tok", 8, True) == [("a", "tok", 8)]
    assert task.encode(Split(train), "tok", 8, True) == [("a", "tok", 8)]
    assert task.read("a")["train"] is train
    assert (task.reads, task.encodes) == (["a"], 1)
    assert task.encode(train, "tok", 16, True) == [("a", "tok", 16)]
    assert task.encodes == 2


def test_another_directory_is_read_afresh_and_its_state_kept():
  """A read sets the task's labels: after reading b, a is read again (not
  returned stale with b's labels)."""
  with reuse.shared_tasks():
    task = _shared()
    a = task.read("a")["train"]
    assert task.labels == ["A"]
    b = task.read("b")["train"]
    assert [e.value for e in b] == ["b"] and task.labels == ["B"]
    again = task.read("a")["train"]
    assert [e.value for e in again] == ["a"] and task.labels == ["A"]
    assert again is not a
    assert task.reads == ["a", "b", "a"]


def test_another_tokenizer_encodes_afresh():
  with reuse.shared_tasks():
    task = _shared()
    train = task.read("a")["train"]
    for tokenizer in ("t1", "t2", "t1"):
      assert task.encode(train, tokenizer, 8, True) == [("a", tokenizer, 8)]
    assert task.encodes == 3


def test_an_encoding_holds_its_examples_so_ids_are_not_reused():
  """The caller empties its list: the example it held must stay alive, or a
  new example at the same address would get the old one's encoding."""
  with reuse.shared_tasks():
    task = _shared()
    examples = [Example("old")]
    held = weakref.ref(examples[0])
    assert task.encode(examples, "tok", 8, True) == [("old", "tok", 8)]
    examples.clear()
    assert held() is not None
    assert task.encode([Example("new")], "tok", 8, True) == [
        ("new", "tok", 8)]


def test_the_block_end_frees_everything_without_the_cycle_collector():
  gc.disable()
  try:
    with reuse.shared_tasks():
      task = _shared()
      split = weakref.ref(task.read("a")["train"])
      encoded = weakref.ref(task.encode(split(), "tok", 8, True))
      assert split() is not None and encoded() is not None
    assert split() is None and encoded() is None
    assert "read" not in vars(task) and "encode" not in vars(task)
    assert task.read("a")["train"] is not task.read("a")["train"]
  finally:
    gc.enable()
