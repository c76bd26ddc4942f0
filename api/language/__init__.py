"""How the gateway settles a conversation's language: detection, explicit requests, memory."""
