"""The county office profile: who files, where, who signs, and who serves.

Everything that names the office (agency, address, attorneys, State Bar numbers, the court, the
public defender, the person who serves the notices of challenge) comes from this YAML file, never
from code, so each county fills in its own copy of ``templates/office-profile.example.yaml``. Court
names and case numbers of individual convictions come from the data, not from here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base.yaml_files import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Attorney(_Strict):
    """An attorney as the caption and the signature block show them."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1, description="e.g. 'Deputy District Attorney'")
    bar_number: str = Field(min_length=1, description="California State Bar number")

    @field_validator("bar_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("a State Bar number is digits only")
        return value


class Office(_Strict):
    """The prosecuting agency."""

    agency: str = Field(min_length=1, description="e.g. 'Office of the District Attorney, County of Example'")
    head: Attorney = Field(description="the elected District Attorney (or City Attorney) named first in the caption")
    address_lines: list[str] = Field(min_length=1)
    phone: str = ""
    email: str = ""
    attorney_for: str = "Attorney for the People"


class Court(_Strict):
    """The court the bulk filing goes to."""

    name: str = "SUPERIOR COURT OF THE STATE OF CALIFORNIA"
    county_line: str = Field(min_length=1, description="e.g. 'FOR THE COUNTY OF EXAMPLE'")
    branch: str = ""
    department: str = ""
    juvenile_line: str = Field(
        "JUVENILE COURT",
        min_length=1,
        description="the caption line of the filings to the juvenile court (HS 11361.8(m))",
    )


class PublicDefender(_Strict):
    """The public defender who receives notices of challenge (HS 11361.9) and is served with them:
    the address is printed on each notice's proof of service."""

    name: str = Field(min_length=1)
    address_lines: list[str] = Field(min_length=1)
    email: str = Field("", description="for electronic service (service.method: electronic)")


class Server(_Strict):
    """The person who serves the notices of challenge on the public defender and signs the proof of
    service (over 18, not a party: usually a member of the office's staff)."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1, description="e.g. 'Legal Secretary'")
    address_lines: list[str] = Field(default_factory=list, description="business address; empty: the office's address")


class Service(_Strict):
    """How the notices of challenge are served on the public defender (the proof of service page)."""

    server: Server
    method: Literal["personal", "mail", "electronic"] = Field(
        description="personal delivery, first-class mail, or electronic service to public_defender.email"
    )
    place: str = Field(min_length=1, description="the city where the proof of service is signed, e.g. 'Example City'")


class AttachmentA(_Strict):
    """How Attachment A is filed."""

    lodge_under_seal: bool = Field(
        False,
        description="lodge Attachment A conditionally under seal (Cal. Rules of Court, rules 2.550-2.551) and "
        "file a public version without dates of birth and CII numbers",
    )


class OfficeProfile(_Strict):
    """The whole profile file."""

    office: Office
    signer: Attorney = Field(description="the attorney who signs the filings")
    court: Court
    public_defender: PublicDefender
    service: Service
    attachment_a: AttachmentA = Field(default_factory=AttachmentA)
    county: str = Field(min_length=1, description="the county name as it appears in the run, e.g. 'LOS ANGELES'")

    @model_validator(mode="after")
    def _electronic_service_needs_an_address(self) -> "OfficeProfile":
        if self.service.method == "electronic" and not self.public_defender.email:
            raise ValueError(
                "service.method is 'electronic' but public_defender.email is empty: give the address "
                "the notices are served to"
            )
        return self

    @property
    def server_address_lines(self) -> list[str]:
        """The server's business address for the proof of service (the office's, unless given)."""
        return list(self.service.server.address_lines or self.office.address_lines)


class ProfileError(ValueError):
    """The office profile file is missing or does not have the expected fields."""


PROFILE_ENV_VAR = "CLEARANCE_OFFICE_PROFILE"


def load_profile(path: str | os.PathLike[str]) -> OfficeProfile:
    """Read and validate an office profile YAML file."""
    return load_yaml_model(
        Path(path), OfficeProfile, what="office profile", error=ProfileError, invalid="is incomplete or wrong"
    )
