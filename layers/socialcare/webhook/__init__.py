"""Receiving webhook deliveries: verify, keep raw, enqueue."""
