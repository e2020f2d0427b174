"""The email of an issue: templates rendered (sandboxed), CSS inlined, the text part, MIME, headers, and
the test send."""
