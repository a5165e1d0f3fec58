"""Networks: businesses controlled together, found through what they share."""
