"""`newsletter import`: existing articles into posts. run.py drives it; source.py reads a SOURCE (fetch.py
is the only network code); page.py, feed.py and text.py turn pages, feeds and copied text into articles
(convert.py writes HTML as Markdown; dates.py reads dates); images.py saves pictures for
--download-images; write.py makes the post files; records.py holds what they pass and report."""
