# TEMPORARY STUB (to be replaced by the real generator)
DEFAULT_SEED = 1234
def generate_corpus(target_bytes=1_000_000, seed=DEFAULT_SEED):
    return open(__file__.replace("stories.py", "stories.txt")).read()
