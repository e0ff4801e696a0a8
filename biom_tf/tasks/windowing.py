"""Overlapping windows over a long word sequence, and stitching them back.

A sentence whose subwords do not fit in `max_seq_length` is never truncated:
it becomes several windows of whole words that overlap, and each word takes
its prediction from the window where it has the most context on both sides
(the "max context" rule of google-research/bert's SQuAD code, applied to
words). Everything here works on subword counts, so it is independent of the
tokenizer.
"""
from typing import List, Sequence, Tuple

Window = Tuple[int, int]  # [first word, last word + 1)


def make_windows(num_subwords: Sequence[int], max_tokens: int,
                 stride: int) -> List[Window]:
  """Splits words into windows of at most `max_tokens` subwords.

  Args:
    num_subwords: subword count of each word (each >= 1, <= max_tokens).
    max_tokens: subwords a window may hold (max_seq_length minus specials).
    stride: subwords the next window's start advances past this window's
      start (doc stride); windows overlap by about `max_tokens - stride`.

  Returns:
    [(start, end)] word ranges covering every word, in order; one window when
    everything fits.
  """
  if max_tokens < 1 or stride < 1:
    raise ValueError(f"max_tokens={max_tokens} and stride={stride} must be >= 1")
  for i, n in enumerate(num_subwords):
    if not 1 <= n <= max_tokens:
      raise ValueError(f"word {i} has {n} subwords; expected 1..{max_tokens}")
  offsets = [0]
  for n in num_subwords:
    offsets.append(offsets[-1] + n)
  num_words = len(num_subwords)
  windows = []
  start = 0
  while True:
    end = start
    while end < num_words and offsets[end + 1] - offsets[start] <= max_tokens:
      end += 1
    windows.append((start, end))
    if end == num_words:
      return windows
    # Next start: the first word at least `stride` subwords on, but no later
    # than `end` (no gap), and late enough that word `end` fits (progress).
    next_start = start + 1
    while next_start < end and (
        offsets[next_start] - offsets[start] < stride or
        offsets[end + 1] - offsets[next_start] > max_tokens):
      next_start += 1
    start = next_start


def assign_words(windows: Sequence[Window], num_words: int) -> List[int]:
  """For each word, the index of the window it has the most context in.

  Score of word i in window (s, e): min(i - s, e - 1 - i) + 0.01 * (e - s);
  the first best window wins ties.
  """
  best = [-1] * num_words
  best_score = [float("-inf")] * num_words
  for w, (start, end) in enumerate(windows):
    for i in range(start, end):
      score = min(i - start, end - 1 - i) + 0.01 * (end - start)
      if score > best_score[i]:
        best[i], best_score[i] = w, score
  if -1 in best:
    raise ValueError(f"word {best.index(-1)} is in no window")
  return best
