"""Starting and growing a project: `init` (a starter project) and `new` (a post or an issue file)."""
