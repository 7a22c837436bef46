from eligibility.models.records import EligibilityRecord, Employer, Person, Sex

__all__ = ["EligibilityRecord", "Employer", "Person", "Sex"]
