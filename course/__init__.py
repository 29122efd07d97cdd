"""The deep-learning course helper library."""
