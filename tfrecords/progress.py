"""Progress lines for long jobs, at most one every `interval` seconds."""
import time
from typing import Callable, Optional, TextIO


class ProgressLine:
  """Writes a line to `stream` when one is due: `interval` seconds after the
  last, or when forced. A stream of None writes nothing."""

  def __init__(self, stream: Optional[TextIO], interval: float):
    self.stream = stream
    self.interval = interval
    self.start = self.last = time.time()

  def write(self, line: Callable[[float], str], force: bool = False):
    """line(seconds since the start) -> the text, called only when due."""
    now = time.time()
    if self.stream is None or not (force or now - self.last >= self.interval):
      return
    self.last = now
    self.stream.write(line(max(now - self.start, 1e-9)) + "\n")
    self.stream.flush()
