"""One run of a command: the plan (phase 1), the store of the last build, the writer (phase 2), the
worker pool, and `build` putting them together."""
