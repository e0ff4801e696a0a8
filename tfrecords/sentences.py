"""A sentence splitter for biomedical abstracts.

Rule-based, as the corpora of BioBERT-style models need nothing heavier: a
sentence ends at ".", "?" or "!" (and any closing quotes or brackets after
it) followed by white space and an upper-case letter, a digit, or an opening
bracket or quote. A "." does not end a sentence after a known abbreviation
("e.g.", "i.e.", "et al.", "Fig.", "vs.", "i.v.", "approx.", ...), so those
stay inside their sentence; a decimal number ("0.05") never matches because
no space follows its ".".
"""
import re
from typing import List

# Lower-cased, without the final ".". Dotted forms ("e.g") match the whole
# token before the final "."; the others match its last word.
ABBREVIATIONS = frozenset("""
    e.g i.e et al cf vs viz approx ca resp etc
    fig figs tab tabs eq eqs ref refs no nos vol vols pp p ch sec suppl
    dr mr mrs ms prof st jr sr inc ltd co corp dept univ
    sp spp subsp var gen nov sect
    i.v i.p i.m i.c.v s.c p.o b.i.d t.i.d q.i.d q.d i.t
    a.m p.m u.s u.k e.m
    wt mol conc approx
""".split())

_WHITESPACE = re.compile(r"\s+")
# Candidate end: terminal punctuation, closing quotes/brackets, space, then
# the start of a sentence.
_CANDIDATE = re.compile(
    r"[.?!][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")


def split_sentences(text: str) -> List[str]:
  """Splits running text into sentences (white space collapsed)."""
  text = _WHITESPACE.sub(" ", text).strip()
  if not text:
    return []
  sentences, start = [], 0
  for match in _CANDIDATE.finditer(text):
    end = match.end()
    if text[match.start()] == "." and _is_abbreviation(text, match.start()):
      continue
    sentence = text[start:end].strip()
    if sentence:
      sentences.append(sentence)
    start = end
  rest = text[start:].strip()
  if rest:
    sentences.append(rest)
  return sentences


def _is_abbreviation(text: str, period: int) -> bool:
  """Whether the "." at `period` ends a known abbreviation."""
  token_start = text.rfind(" ", 0, period) + 1
  token = text[token_start:period].lstrip("([\"'\u201c\u2018").lower()
  if not token:
    return False
  if token in ABBREVIATIONS:
    return True
  # "et al." ends with "al"; "(e.g." was handled above; "Figs." etc.
  last_word = re.split(r"[^a-z.]", token)[-1]
  return last_word in ABBREVIATIONS
