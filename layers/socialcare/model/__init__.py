"""The normalised event model and the case model."""
