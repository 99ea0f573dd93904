"""The index: chunks and units → vectors and lexical tables on disk, versioned.

`views` plans what is embedded; `embedding` (with the plain-torch `encoder` and
`batching` of concurrent questions) turns text into vectors; `lexical` holds BM25 and the
term tables (`vocabulary`: WordNet); `store` writes and reads a version's files;
`versions` publishes them atomically and verifies them; `freshness` says whether an index
still matches the settings, code and corpus. Hands `IndexData` to bot/answer/ and bot/bot.py.
"""
