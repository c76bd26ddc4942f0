"""Code shared by the gateway (api/), the Rasa components (bot/) and the action server (actions/)."""
