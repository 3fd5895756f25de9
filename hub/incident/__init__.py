"""After an incident: the events around it, related, as a timeline and an after-action draft."""
