"""The synthetic world: IMB networks and legitimate businesses, with ground truth."""
