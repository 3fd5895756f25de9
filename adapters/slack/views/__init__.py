"""One Slack view per sender; a sender without one is shown by the generic view."""
