"""Case status: the case store, its CSV import and the lookup throttle (reading references and
dates is shared: wegwijs/case_references.py, wegwijs/dates.py)."""
