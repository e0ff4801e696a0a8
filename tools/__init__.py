"""absl-flag command-line tools, one per stage: flags → one library call."""
