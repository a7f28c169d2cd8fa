"""Reference solutions, checks, data and instructor tools for the course "Build a GPT from scratch".

Importing the package seeds tiktoken's cache with GPT-2's tokenizer files, so that
``tiktoken.get_encoding("gpt2")`` works offline in every notebook that imports it.
"""

from autograder.materials.tiktoken_offline import seed_gpt2_cache

seed_gpt2_cache()
