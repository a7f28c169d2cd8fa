"""What the notebooks load besides their checks: the course's data sets (`data`), GPT-2's tokenizer
files for offline use (`tiktoken_offline`), GPT-2's BPE cut down to the course's texts
(`compact_tokenizer`), the optional download of GPT-2's real weights (`gpt2_download`), a Chinese
font for the figures (`fonts`), 03's hand-made word vectors that 04–06 come back to (`word_vectors`) and the picture of the whole model that maps the course (`architecture`)."""
