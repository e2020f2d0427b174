"""`newsletter check`: the rules every plan applies, and the report."""
