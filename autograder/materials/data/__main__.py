from autograder.materials.data import write_shipped_files

for path in write_shipped_files():
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
