"""The JSON bodies of incoming webhooks: Slack, Mattermost, Microsoft Teams (Workflows) and Google Chat."""

from __future__ import annotations

from typing import Any

PROVIDERS = ("slack", "mattermost", "teams", "google_chat")


def chat_payload(*, provider: str, text: str, link_url: str, link_title: str) -> dict[str, Any]:
    """The body `provider` expects for a short message with one link; ValueError for an unknown provider.

    Slack and Google Chat write links as <url|title>, Mattermost as Markdown; Teams takes an Adaptive Card
    (the format of Workflows webhooks, which replace the retired Office 365 connectors).
    """
    if provider == "slack":
        return {"text": f"{text} <{link_url}|{link_title}>"}
    if provider == "mattermost":
        return {"text": f"{text} [{link_title}]({link_url})", "username": "LeadCRM"}
    if provider == "google_chat":
        return {"text": f"{text} <{link_url}|{link_title}>"}
    if provider == "teams":
        return {
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                    "actions": [{"type": "Action.OpenUrl", "title": link_title, "url": link_url}],
                },
            }],
        }
    raise ValueError(f"unknown chat provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
