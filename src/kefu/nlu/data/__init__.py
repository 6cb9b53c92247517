"""Corpus, knowledge-base articles and the script that makes the corpus."""
