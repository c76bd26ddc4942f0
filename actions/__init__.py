"""Custom actions, one module each; `rasa run actions --actions actions` loads them all."""
from actions.human_line import ActionHumanLine

__all__ = ["ActionHumanLine"]
