"""Controlled vocabularies shared by every domain: schemes, target groups, limitations and offers.

The database enforces the same lists with CHECK constraints (see the migrations); keep them in step.
"""

from enum import StrEnum


class Scheme(StrEnum):
    """Placement schemes under Danish employment law."""

    ORDINARY = "ordinary"  # ordinært job
    INTERNSHIP = "internship"  # virksomhedspraktik
    WAGE_SUBSIDY = "wage_subsidy"  # løntilskud
    FLEXJOB = "flexjob"  # fleksjob


SCHEME_LABELS_DA: dict[Scheme, str] = {
    Scheme.ORDINARY: "ordinært job",
    Scheme.INTERNSHIP: "virksomhedspraktik",
    Scheme.WAGE_SUBSIDY: "løntilskud",
    Scheme.FLEXJOB: "fleksjob",
}


class TargetGroup(StrEnum):
    """The citizen's benefit/target group (målgruppe), which decides the schemes they may use."""

    DAGPENGE = "dagpenge"
    KONTANTHJAELP = "kontanthjaelp"
    UDDANNELSESHJAELP = "uddannelseshjaelp"
    RESSOURCEFORLOEB = "ressourceforloeb"
    JOBAFKLARING = "jobafklaring"
    SYGEDAGPENGE = "sygedagpenge"
    LEDIGHEDSYDELSE = "ledighedsydelse"  # visiteret til fleksjob


TARGET_GROUP_LABELS_DA: dict[TargetGroup, str] = {
    TargetGroup.DAGPENGE: "dagpenge",
    TargetGroup.KONTANTHJAELP: "kontanthjælp",
    TargetGroup.UDDANNELSESHJAELP: "uddannelseshjælp",
    TargetGroup.RESSOURCEFORLOEB: "ressourceforløb",
    TargetGroup.JOBAFKLARING: "jobafklaring",
    TargetGroup.SYGEDAGPENGE: "sygedagpenge",
    TargetGroup.LEDIGHEDSYDELSE: "ledighedsydelse (visiteret til fleksjob)",
}

# Which schemes each target group may use. A simplification of LAB-loven: fleksjob only for
# citizens visitated to it; løntilskud not for the sick-listed or those in jobafklaring.
SCHEMES_BY_TARGET_GROUP: dict[TargetGroup, frozenset[Scheme]] = {
    TargetGroup.DAGPENGE: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP, Scheme.WAGE_SUBSIDY}),
    TargetGroup.KONTANTHJAELP: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP, Scheme.WAGE_SUBSIDY}),
    TargetGroup.UDDANNELSESHJAELP: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP, Scheme.WAGE_SUBSIDY}),
    TargetGroup.RESSOURCEFORLOEB: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP, Scheme.WAGE_SUBSIDY}),
    TargetGroup.JOBAFKLARING: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP}),
    TargetGroup.SYGEDAGPENGE: frozenset({Scheme.ORDINARY, Scheme.INTERNSHIP}),
    TargetGroup.LEDIGHEDSYDELSE: frozenset({Scheme.FLEXJOB, Scheme.INTERNSHIP}),
}


class Limitation(StrEnum):
    """Functional limitations a citizen has consented to share (never a diagnosis)."""

    NO_HEAVY_LIFTING = "no_heavy_lifting"
    NO_NIGHT_SHIFTS = "no_night_shifts"
    LIMITED_STANDING = "limited_standing"
    LIMITED_WALKING = "limited_walking"
    LIMITED_SITTING = "limited_sitting"
    NO_REPETITIVE_STRAIN = "no_repetitive_strain"
    LIMITED_HAND_USE = "limited_hand_use"
    NEEDS_QUIET_ENVIRONMENT = "needs_quiet_environment"
    LIMITED_CUSTOMER_CONTACT = "limited_customer_contact"
    NO_DRIVING = "no_driving"
    REDUCED_STAMINA = "reduced_stamina"


class Need(StrEnum):
    """Support a citizen needs at the workplace; matched against what employers offer."""

    MENTOR = "mentor"
    GRADUAL_START = "gradual_start"
    REDUCED_HOURS = "reduced_hours"
    FLEXIBLE_HOURS = "flexible_hours"
    QUIET_WORKSPACE = "quiet_workspace"
    ADAPTED_WORKSTATION = "adapted_workstation"
    LANGUAGE_SUPPORT = "language_support"


class PhysicalDemands(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class EducationLevel(StrEnum):
    """Highest completed education, roughly ISCED levels."""

    NONE = "none"
    PRIMARY = "primary"  # folkeskole
    UPPER_SECONDARY = "upper_secondary"  # gymnasial
    VOCATIONAL = "vocational"  # erhvervsuddannelse
    SHORT_CYCLE = "short_cycle"  # kort videregående
    BACHELOR = "bachelor"  # mellemlang videregående / bachelor
    MASTER = "master"  # lang videregående
    PHD = "phd"


class EmployerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class OpeningStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    FILLED = "filled"
    CLOSED = "closed"


class Role(StrEnum):
    CONSULTANT = "consultant"
    JOBCENTRE_ADMIN = "jobcentre_admin"
    EMPLOYER = "employer"
    ADMIN = "admin"


def sql_in_list(values: type[StrEnum]) -> str:
    """Render an enum as the list inside a SQL `CHECK (x IN (...))`, for migrations."""
    return ", ".join(f"'{member.value}'" for member in values)


class WorkCondition(StrEnum):
    """Conditions of the work in an opening that can clash with a citizen's functional limitations."""

    HEAVY_LIFTING = "heavy_lifting"
    NIGHT_SHIFTS = "night_shifts"
    MOSTLY_STANDING = "mostly_standing"
    MUCH_WALKING = "much_walking"
    MOSTLY_SITTING = "mostly_sitting"
    REPETITIVE_WORK = "repetitive_work"
    FINE_HAND_WORK = "fine_hand_work"
    NOISY_ENVIRONMENT = "noisy_environment"
    CUSTOMER_CONTACT = "customer_contact"
    DRIVING = "driving"
    HIGH_PACE = "high_pace"


# A citizen with the limitation on the left cannot take work with any condition on the right.
LIMITATION_CONFLICTS: dict[Limitation, frozenset[WorkCondition]] = {
    Limitation.NO_HEAVY_LIFTING: frozenset({WorkCondition.HEAVY_LIFTING}),
    Limitation.NO_NIGHT_SHIFTS: frozenset({WorkCondition.NIGHT_SHIFTS}),
    Limitation.LIMITED_STANDING: frozenset({WorkCondition.MOSTLY_STANDING}),
    Limitation.LIMITED_WALKING: frozenset({WorkCondition.MUCH_WALKING}),
    Limitation.LIMITED_SITTING: frozenset({WorkCondition.MOSTLY_SITTING}),
    Limitation.NO_REPETITIVE_STRAIN: frozenset({WorkCondition.REPETITIVE_WORK}),
    Limitation.LIMITED_HAND_USE: frozenset({WorkCondition.FINE_HAND_WORK}),
    Limitation.NEEDS_QUIET_ENVIRONMENT: frozenset({WorkCondition.NOISY_ENVIRONMENT}),
    Limitation.LIMITED_CUSTOMER_CONTACT: frozenset({WorkCondition.CUSTOMER_CONTACT}),
    Limitation.NO_DRIVING: frozenset({WorkCondition.DRIVING}),
    Limitation.REDUCED_STAMINA: frozenset({WorkCondition.HIGH_PACE}),
}
