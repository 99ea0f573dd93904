"""Reading documents in: files → documents with metadata → quotable units and chunks.

`corpus.load_corpus` reads each file (`formats`: .txt, .md, .html, .pdf) with its entry in
`sources.json` (`sources`); `segment` strips page furniture (`boilerplate`) and cuts the
text into quotable units with exact offsets; `chunking` groups units into retrieval chunks.
Hands `Document`s, `Unit`s and `Chunk`s to bot/index/. Imports nothing from the packages above.
"""
