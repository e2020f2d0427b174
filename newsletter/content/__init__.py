"""Reading the project: settings, the one file reader, posts (front matter, Markdown, sanitising), issue
files, and the grouping of posts into weekly issues."""
