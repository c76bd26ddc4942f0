"""The WhatsApp Business Cloud API channel: message shaping and the Graph API client."""
