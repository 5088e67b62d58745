"""Measuring the detection rules against the scenarios' ground truth: ``score`` (pure) and ``run`` (live)."""
