"""The HTTP doors in: submissions (write) and the read API, the same in both runtimes."""
