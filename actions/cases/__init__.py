"""Case status: the case store, its CSV import, parsing what people type, and the lookup throttle."""
