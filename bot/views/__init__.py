"""Components that outlive a restart: DynamicItems whose custom ids carry their state."""
