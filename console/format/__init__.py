"""Formatting shared by both front ends: money, counts, durations, times, counted nouns, and
provider text made safe for a terminal. Pure and stdlib-only."""
