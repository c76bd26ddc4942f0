"""Custom actions, one module each; `rasa run actions --actions actions` loads them all."""
from actions.handover import ActionFallback, ActionHandover
from actions.phone_line import ActionPhoneLine

__all__ = ["ActionFallback", "ActionHandover", "ActionPhoneLine"]
