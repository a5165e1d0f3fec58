"""Entity resolution: records become businesses, persons, agents and premises."""
