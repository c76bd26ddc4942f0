"""Hand-over to hotline staff (issue 4): the ticket queue in Redis."""
