"""Answering: a question → candidate passages → the answer decision → quotes.

`question` cleans the text and spots follow-ups; `spelling` corrects typos toward the
corpus's words; `retrieval` finds candidate units (dense ∪ BM25); `quotes` chooses 1–3
exact spans and decides answer or "our documents don't say"; `related` picks suggested
questions. bot/bot.py wraps the result in a `Reply` (bot/reply.py).
"""
