"""One module per command group; each is imported only when its command runs."""
