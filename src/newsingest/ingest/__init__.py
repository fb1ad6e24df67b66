"""Per-document stages: read, decode, extract, repair, and the per-document run."""
