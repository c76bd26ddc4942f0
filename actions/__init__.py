"""Custom actions, one module each. `rasa run actions --actions actions` imports every module of
this package by itself (rasa-sdk walks the package), so importing ``actions`` imports nothing
else: what the gateway and Rasa's components share with the actions lives in ``wegwijs/``."""
