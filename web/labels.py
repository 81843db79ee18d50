"""Danish words for the codes the pages show: schemes, states, reasons, roles and work conditions.

Labels that the domains already own (schemes, target groups, limitations, needs) are reused from there.
"""

from core.vocab import (
    SCHEME_LABELS_DA,
    TARGET_GROUP_LABELS_DA,
    EmployerStatus,
    OpeningStatus,
    PhysicalDemands,
    Role,
    Scheme,
    WorkCondition,
)
from matching.eligibility import LIMITATION_LABELS_DA
from matching.explain import NEED_LABELS
from matching.schemas import AcceptReason, DeclineReason, SuggestionState

SCHEMES: dict[str, str] = {scheme.value: label for scheme, label in SCHEME_LABELS_DA.items()}
SCHEME_ORDER: list[str] = [scheme.value for scheme in Scheme]
TARGET_GROUPS: dict[str, str] = {group.value: label for group, label in TARGET_GROUP_LABELS_DA.items()}
LIMITATIONS: dict[str, str] = dict(LIMITATION_LABELS_DA)
NEEDS: dict[str, str] = {need: labels[0] for need, labels in NEED_LABELS.items()}

ROLES: dict[str, str] = {
    Role.CONSULTANT: "Virksomhedskonsulent",
    Role.JOBCENTRE_ADMIN: "Jobcenterleder",
    Role.EMPLOYER: "Virksomhed",
    Role.ADMIN: "Driftsansvarlig",
}

SUGGESTION_STATES: dict[str, str] = {
    SuggestionState.PROPOSED: "Foreslået",
    SuggestionState.CONTACTED: "Kontaktet",
    SuggestionState.ACCEPTED: "Accepteret",
    SuggestionState.DECLINED: "Afvist",
}

DECLINE_REASONS: dict[str, str] = {
    DeclineReason.LIMITATION_CONFLICT: "Passer ikke med borgerens skånehensyn",
    DeclineReason.TOO_FAR: "For langt væk",
    DeclineReason.HOURS_MISMATCH: "Timerne passer ikke",
    DeclineReason.SKILLS_MISMATCH: "Kompetencerne passer ikke",
    DeclineReason.CITIZEN_NOT_INTERESTED: "Borgeren er ikke interesseret",
    DeclineReason.EMPLOYER_DECLINED: "Virksomheden sagde nej",
    DeclineReason.TIMING: "Tidspunktet passer ikke",
    DeclineReason.OTHER: "Andet",
}

ACCEPT_REASONS: dict[str, str] = {
    AcceptReason.SKILLS_MATCH: "Kompetencerne passer",
    AcceptReason.MATCHES_WISHES: "Svarer til borgerens ønsker",
    AcceptReason.CLOSE_TO_HOME: "Tæt på hjemmet",
    AcceptReason.SUPPORTIVE_EMPLOYER: "Støttende virksomhed",
    AcceptReason.TRY_OUT: "Afprøvning",
}

OPENING_STATUSES: dict[str, str] = {
    OpeningStatus.OPEN: "Åben",
    OpeningStatus.PAUSED: "Sat på pause",
    OpeningStatus.FILLED: "Besat",
    OpeningStatus.CLOSED: "Lukket",
}

EMPLOYER_STATUSES: dict[str, str] = {EmployerStatus.ACTIVE: "Aktiv", EmployerStatus.PAUSED: "Sat på pause"}

PHYSICAL_DEMANDS: dict[str, str] = {
    PhysicalDemands.LOW: "Lette", PhysicalDemands.MEDIUM: "Middel", PhysicalDemands.HIGH: "Hårde",
}

WORK_CONDITIONS: dict[str, str] = {
    WorkCondition.HEAVY_LIFTING: "Tunge løft",
    WorkCondition.NIGHT_SHIFTS: "Natarbejde",
    WorkCondition.MOSTLY_STANDING: "Mest stående arbejde",
    WorkCondition.MUCH_WALKING: "Meget gang",
    WorkCondition.MOSTLY_SITTING: "Mest siddende arbejde",
    WorkCondition.REPETITIVE_WORK: "Ensidigt gentaget arbejde",
    WorkCondition.FINE_HAND_WORK: "Fint håndarbejde",
    WorkCondition.NOISY_ENVIRONMENT: "Støjende miljø",
    WorkCondition.CUSTOMER_CONTACT: "Kundekontakt",
    WorkCondition.DRIVING: "Kørsel",
    WorkCondition.HIGH_PACE: "Højt tempo",
}

RUN_STATES: dict[str, str] = {"queued": "I kø", "running": "I gang", "done": "Færdig", "failed": "Fejlet"}
RUN_STAGES: dict[str, str] = {"scoring": "Beregner scorer", "assigning": "Fordeler forslag",
                              "explaining": "Skriver begrundelser"}
RUN_ORIGINS: dict[str, str] = {"api": "Startet manuelt", "cli": "Startet fra kommandolinjen",
                               "schedule": "Startet efter tidsplan"}
