"""Social captions: per-platform counting, caption building and fitting, threads, exports."""
