"""Face-recognition systems: one capture, with the best watch-list candidate the system found."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from pipeline.contracts.envelope import EventEnvelope, PersonId


class FaceCapture(EventEnvelope):
    """A face seen by a camera with face recognition.

    The device names the captured face's template and, when its gallery matched, the candidate's ID number;
    the pipeline turns both into tokens at intake, so stores and alerts only ever see tokens."""

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("face_template_id", "candidate_id_number")

    schema_name: Literal["face_capture"] = Field("face_capture", alias="schema")
    schema_version: Literal[1] = 1
    capture_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{4,64}$")
    face_template_id: PersonId
    candidate_id_number: PersonId | None = Field(None, description="Best gallery match, if any.")
    similarity: float | None = Field(None, ge=0, le=1, description="Similarity to the candidate.")
    quality: float = Field(ge=0, le=1, description="Image quality of the capture.")
