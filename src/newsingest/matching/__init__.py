"""The dedup stages: boilerplate, shingles, fingerprints, LSH candidates, verification,
and the linking core."""
