"""Where untrusted code runs: the workspace it sees, the isolation around it, and the one
builder of pytest and coverage command lines."""
