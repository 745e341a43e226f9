"""The county office profile: who files, where, and who signs.

Everything that names the office (agency, address, attorneys, State Bar numbers, the court, the
public defender) comes from this YAML file, never from code, so each county fills in its own copy
of ``templates/office-profile.example.yaml``. Court names and case numbers of individual
convictions come from the data, not from here.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..yaml_files import load_yaml_model


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


class PublicDefender(_Strict):
    """The public defender who receives notices of challenge (HS 11361.9)."""

    name: str = Field(min_length=1)
    address_lines: list[str] = Field(default_factory=list)


class OfficeProfile(_Strict):
    """The whole profile file."""

    office: Office
    signer: Attorney = Field(description="the attorney who signs the filings")
    court: Court
    public_defender: PublicDefender
    county: str = Field(min_length=1, description="the county name as it appears in the run, e.g. 'LOS ANGELES'")


class ProfileError(ValueError):
    """The office profile file is missing or does not have the expected fields."""


PROFILE_ENV_VAR = "CLEARANCE_OFFICE_PROFILE"


def load_profile(path: str | os.PathLike[str]) -> OfficeProfile:
    """Read and validate an office profile YAML file."""
    return load_yaml_model(path, OfficeProfile, what="office profile", error=ProfileError,
                           invalid="is incomplete or wrong")
