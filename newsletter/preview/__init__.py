"""`newsletter preview`: in-memory builds served on 127.0.0.1 with live reload."""
