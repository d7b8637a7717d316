"""The accountability report and the marketing summary: what the day's cases say about the care floor."""
