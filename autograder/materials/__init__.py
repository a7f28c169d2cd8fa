"""What the notebooks load besides their checks: the course's data sets (`data`), GPT-2's tokenizer
files for offline use (`tiktoken_offline`), GPT-2's BPE cut down to the course's texts
(`compact_tokenizer`), the optional download of GPT-2's real weights (`gpt2_download`) and a Chinese
font for the figures (`fonts`)."""
