"""Letters of the escalation ladder: what they say (text), as email, and as a Word document."""
