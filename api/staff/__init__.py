"""The staff side of hand-over (issue 4): accounts now; sessions and the console build on them."""
