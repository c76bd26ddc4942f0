"""Custom actions, one module each; `rasa run actions --actions actions` loads them all."""
from actions.also_offer import ActionOfferAlso
from actions.fallback import ActionFallback
from actions.handover import ActionHandover
from actions.phone_line import ActionPhoneLine

__all__ = ["ActionFallback", "ActionHandover", "ActionOfferAlso", "ActionPhoneLine"]
