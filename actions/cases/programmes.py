"""The programmes a case can belong to and their stages in order."""

from __future__ import annotations

STAGES: dict[str, tuple[str, ...]] = {
    "voluntary_return": (
        "intake",
        "counselling",
        "travel_documents_requested",
        "travel_booked",
        "departed",
        "reintegration_support",
        "closed",
    ),
    "family_reunification": (
        "registered",
        "dna_sample_scheduled",
        "dna_sample_taken",
        "dna_result_sent_to_ind",
        "travel_being_arranged",
        "travel_booked",
        "arrived",
        "closed",
    ),
    "resettlement": ("selected", "pre_departure", "travel_booked", "arrived", "closed"),
}


def stage_response(programme: str, stage: str) -> str:
    """The response key that explains a stage (bot/responses.yml)."""
    return f"utter_case_{programme}_{stage}"
