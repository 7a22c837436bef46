from eligibility.models.checks import ReferenceCheck as ReferenceCheck
from eligibility.models.imports import ImportJob as ImportJob
from eligibility.models.records import EligibilityRecord, Employer, Person, Sex

__all__ = ["EligibilityRecord", "Employer", "Person", "Sex"]
