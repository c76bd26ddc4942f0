"""Hand-over to hotline staff (issue 4), shared by the gateway and the action server: the
ticket queue and staff presence, both in Redis."""
