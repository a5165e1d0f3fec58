"""The HTML that people read: the overview report, its network diagrams and charts, and the page shell packets share."""
