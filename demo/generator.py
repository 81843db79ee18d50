"""Generate realistic, deterministic demo data as JSONL files for the bulk importer.

`generate()` writes, into one directory:

- `employers.jsonl` (rows of `employers.schemas.EmployerCreate`), `openings.jsonl` (`OpeningImport`),
  `citizens.jsonl` (`citizens.schemas.CitizenCreate`);
- `placements.jsonl` and `decisions.jsonl`: a past of consultant decisions on suggested pairs and the
  placements that followed, drawn from the hidden process documented in `demo.outcomes`;
- `citizen_audit_attributes.jsonl`: synthetic age band and gender, for fairness audits only;
- `manifest.json`: the arguments, counts and taxonomy data version.

The same arguments give byte-identical files: every random draw comes from `random.Random` streams seeded
from the seed and a stream name, rows are written as they are made with sorted keys, and dates are
relative to a fixed reference date, never today's.
"""

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from core.vocab import (
    LIMITATION_CONFLICTS,
    SCHEMES_BY_TARGET_GROUP,
    EducationLevel,
    Limitation,
    Need,
    Scheme,
    TargetGroup,
    WorkCondition,
)
from demo import catalogue as cat
from demo.geography import Geography, Postcode, WeightedPostcodes, great_circle_km
from demo.occupations import DemoOccupation, OccupationCatalogue
from demo.outcomes import HOST_QUALITY_SD, NOISE_SD, PairFacts, hours_misfit, success_probability
from taxonomy import package_data

DEFAULT_JOBCENTRES: tuple[int, ...] = (101, 751)
DEFAULT_REFERENCE_DATE = dt.date(2026, 1, 5)
FILES = (
    "employers.jsonl",
    "openings.jsonl",
    "citizens.jsonl",
    "citizen_audit_attributes.jsonl",
    "decisions.jsonl",
    "placements.jsonl",
)
MANIFEST = "manifest.json"
PROGRESS_EVERY = 500

ProgressCallback = Callable[[str, int, int], None]
"""Called as `progress(stage, done, total)` with stage 'employers' or 'citizens'."""

# Decision reason codes (documented in demo/README.md).
ACCEPT_REASONS = ("skills_match", "matches_wishes", "close_to_home", "supportive_employer", "try_out")
DECLINE_REASONS_OTHER = ("citizen_not_interested", "employer_declined", "timing", "other")

SCHEME_ORDER = {scheme: i for i, scheme in enumerate(Scheme)}
NEED_TO_OFFER = {
    Need.MENTOR: "mentor",
    Need.GRADUAL_START: "gradual_start",
    Need.REDUCED_HOURS: "reduced_hours",
    Need.FLEXIBLE_HOURS: "flexible_hours",
}
# Needs without an offer flag are met by an accommodation tag of the same name.
ACCOMMODATION_RATES: dict[str, tuple[float, float]] = {  # (desk trades, other trades)
    "quiet_workspace": (0.35, 0.1),
    "adapted_workstation": (0.25, 0.12),
    "language_support": (0.1, 0.18),
    "height_adjustable_desk": (0.6, 0.05),
    "wheelchair_access": (0.2, 0.1),
}
DESK_SECTORS = frozenset({"office", "it"})


@dataclass(frozen=True)
class EmployerFacts:
    """What the history needs to know about an employer, kept in memory (never the row itself)."""

    ref: str
    jobcentre: int
    sector_key: str
    latitude: float
    longitude: float
    offers: frozenset[str]
    schemes: frozenset[Scheme]
    host_quality: float


@dataclass(frozen=True)
class OpeningFacts:
    ref: str
    employer: EmployerFacts
    occupation: DemoOccupation
    sector_key: str
    essential: frozenset[int]
    hours_min: int
    hours_max: int
    conditions: frozenset[WorkCondition]
    schemes: tuple[Scheme, ...]
    latitude: float
    longitude: float


@dataclass
class CitizenTruth:
    """A citizen's full latent profile; the written row shows only part of it."""

    ref: str
    jobcentre: int
    target_group: TargetGroup
    postcode: Postcode
    true_skills: frozenset[int]
    recorded_skills: frozenset[int]
    experience: tuple[DemoOccupation, ...]
    wish_occupations: frozenset[int]
    wish_sectors: frozenset[str]
    max_commute_km: int
    hours_min: int
    hours_max: int
    needs: tuple[Need, ...]
    limitations: frozenset[Limitation]
    limitations_recorded: bool
    schemes: tuple[Scheme, ...]


def stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream for one part of the generation."""
    return random.Random(f"brobygger-demo:{seed}:{name}")


def generate(
    out_dir: Path,
    *,
    jobcentres: Sequence[int] = DEFAULT_JOBCENTRES,
    citizens: int = 1000,
    employers: int = 200,
    openings_per_employer: float = 2.0,
    seed: int = 1,
    history_weeks: int = 52,
    reference_date: dt.date = DEFAULT_REFERENCE_DATE,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Write the demo-data files into `out_dir` and return the number of rows per file."""
    if not jobcentres:
        raise ValueError("jobcentres: give at least one kommune code")
    if citizens < 0 or employers < 0 or openings_per_employer < 0 or history_weeks < 0:
        raise ValueError("citizens, employers, openings_per_employer and history_weeks must not be negative")
    geography = Geography()
    for code in jobcentres:
        if code not in geography.kommuner or not geography.kommune_postcodes(code):
            raise ValueError(f"jobcentres: {code} is not a kommune code with postcodes")
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = _Generator(
        catalogue=OccupationCatalogue.shared(),
        geography=geography,
        jobcentres=tuple(dict.fromkeys(jobcentres)),
        seed=seed,
        history_weeks=history_weeks,
        reference_date=reference_date,
        progress=progress,
    )
    handles: dict[str, IO[bytes]] = {}
    try:
        for name in FILES:
            handles[name] = open(out_dir / name, "wb")  # noqa: SIM115 - closed in finally
        counts = generator.run(handles, citizens, employers, openings_per_employer)
    finally:
        for handle in handles.values():
            handle.close()
    manifest = {
        "arguments": {
            "jobcentres": list(generator.jobcentres),
            "citizens": citizens,
            "employers": employers,
            "openings_per_employer": openings_per_employer,
            "seed": seed,
            "history_weeks": history_weeks,
            "reference_date": reference_date.isoformat(),
        },
        "counts": counts,
        "taxonomy_data_version": package_data.data_version(),
        "generator": "demo.generator",
    }
    (out_dir / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n")
    return counts


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _pick_weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, count, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _ascii_slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae"})
    lowered = text.lower().translate(table)
    words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in lowered).split()
    return "-".join(words)[:40].strip("-") or "firma"


class _Generator:
    def __init__(
        self,
        *,
        catalogue: OccupationCatalogue,
        geography: Geography,
        jobcentres: tuple[int, ...],
        seed: int,
        history_weeks: int,
        reference_date: dt.date,
        progress: ProgressCallback | None,
    ) -> None:
        self.catalogue = catalogue
        self.geography = geography
        self.jobcentres = jobcentres
        self.seed = seed
        self.history_weeks = history_weeks
        self.reference_date = reference_date
        self.progress = progress
        self.counts = dict.fromkeys(FILES, 0)
        self.handles: dict[str, IO[bytes]] = {}
        self.used_cvrs: set[str] = set()
        self.employer_facts: list[EmployerFacts] = []
        self.openings_by_jobcentre: dict[int, list[OpeningFacts]] = {code: [] for code in jobcentres}
        self.openings_by_sector: dict[tuple[int, str], list[OpeningFacts]] = {}
        self.openings_by_group: dict[tuple[int, str], list[OpeningFacts]] = {}
        self.internship_hosts: dict[int, list[EmployerFacts]] = {code: [] for code in jobcentres}
        self.sector_choice = ([s for s in cat.SECTORS], [s.weight for s in cat.SECTORS])
        self.citizen_sector_weights = [s.weight * (0.4 if s.key == "it" else 1.0) for s in cat.SECTORS]

    # ----- output -----

    def _write(self, name: str, row: dict[str, Any]) -> None:
        self.handles[name].write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
        self.counts[name] += 1

    def _date(self, offset_days: int) -> dt.date:
        return self.reference_date + dt.timedelta(days=offset_days)

    def run(
        self, handles: dict[str, IO[bytes]], citizens: int, employers: int, openings_per_employer: float
    ) -> dict[str, int]:
        self.handles = handles
        employer_index = 0
        for jobcentre, count in zip(self.jobcentres, _split(employers, len(self.jobcentres)), strict=True):
            rng = stream(self.seed, f"employers:{jobcentre}")
            pool = self.geography.employer_pool(jobcentre)
            for _ in range(count):
                employer_index += 1
                self._employer(rng, jobcentre, pool, employer_index, openings_per_employer)
                if self.progress and employer_index % PROGRESS_EVERY == 0:
                    self.progress("employers", employer_index, employers)
        if self.progress:
            self.progress("employers", employers, employers)

        done = 0
        for jobcentre, count in zip(self.jobcentres, _split(citizens, len(self.jobcentres)), strict=True):
            rng = stream(self.seed, f"citizens:{jobcentre}")
            history_rng = stream(self.seed, f"history:{jobcentre}")
            audit_rng = stream(self.seed, f"audit:{jobcentre}")
            pool = self.geography.citizen_pool(jobcentre)
            for number in range(1, count + 1):
                truth = self._citizen(rng, jobcentre, pool, number)
                self._history(history_rng, truth)
                self._audit(audit_rng, truth)
                done += 1
                if self.progress and done % PROGRESS_EVERY == 0:
                    self.progress("citizens", done, citizens)
        if self.progress:
            self.progress("citizens", citizens, citizens)
        return dict(self.counts)

    # ----- employers and openings -----

    def _new_cvr(self, rng: random.Random) -> str:
        weights = (2, 7, 6, 5, 4, 3, 2)
        while True:
            digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(6)]
            check = -sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
            if check == 10:
                continue
            cvr = "".join(map(str, digits)) + str(check)
            if cvr not in self.used_cvrs:
                self.used_cvrs.add(cvr)
                return cvr

    def _company_name(self, rng: random.Random, business: cat.BusinessType, postcode: Postcode, jobcentre: int) -> str:
        pattern = rng.choice(business.name_patterns)
        surname = rng.choice(cat.SURNAMES_DA)
        surname2 = rng.choice([s for s in cat.SURNAMES_DA if s != surname])
        town = postcode.name.split(" ")[0] if postcode.name.startswith("København") else postcode.name
        kommune = self.geography.kommuner[jobcentre if business.municipal else postcode.kommune_code]
        suffix = _pick_weighted(rng, cat.COMPANY_SUFFIXES)
        name = pattern.format(
            surname=surname,
            surname2=surname2,
            town=town,
            kommune=kommune.short_name,
            region=rng.choice(cat.REGION_WORDS_DA.get(kommune.region, cat.DEFAULT_REGION_WORDS_DA)),
            first=rng.choice(cat.FIRST_NAMES_DA),
            place=rng.choice(cat.PLACE_WORDS_DA),
            animal=rng.choice(cat.ANIMAL_WORDS_DA),
            italian=rng.choice(cat.ITALIAN_WORDS),
            word=rng.choice(cat.TECH_WORDS),
            district=rng.choice(cat.DISTRICT_WORDS_DA),
            street=rng.choice(cat.STREET_NAMES_DA),
            suffix=suffix,
        )
        return " ".join(name.split())

    def _employer(
        self,
        rng: random.Random,
        jobcentre: int,
        pool: WeightedPostcodes,
        index: int,
        openings_per_employer: float,
    ) -> None:
        sector: cat.Sector = rng.choices(self.sector_choice[0], weights=self.sector_choice[1])[0]
        business = rng.choice(sector.business_types)
        postcode: Postcode = rng.choices(pool.postcodes, cum_weights=pool.cum_weights)[0]
        ref = f"demo-emp-{index:06d}"
        name = self._company_name(rng, business, postcode, jobcentre)
        municipal = business.municipal and "Kommune" in name
        employees = max(2, round(math.exp(rng.gauss(2.6 if not municipal else 3.6, 1.0))))
        desk = sector.key in DESK_SECTORS
        offers = {
            "mentor": rng.random() < min(0.95, sector.mentor_rate + (0.2 if municipal else 0.0)),
            "reduced_hours": rng.random() < 0.35,
            "flexible_hours": rng.random() < (0.45 if desk else 0.25),
            "gradual_start": rng.random() < 0.45,
            "physical_demands": _pick_weighted(rng, list(sector.physical_demands.items())).value,
            "accommodations": sorted(
                tag for tag, rates in ACCOMMODATION_RATES.items() if rng.random() < rates[0 if desk else 1]
            ),
        }
        # Openings first: the employer's schemes include those of its openings.
        zero_openings = rng.random() < 0.12
        if zero_openings:
            n_openings = 0
        else:
            mean = openings_per_employer / 0.88
            n_openings = 1 + _poisson(rng, mean - 1) if mean >= 1 else _poisson(rng, mean)
        schemes: set[Scheme] = set()
        if zero_openings or rng.random() < 0.7:
            schemes.add(Scheme.INTERNSHIP)
        if zero_openings and rng.random() < 0.3:
            schemes.add(Scheme.WAGE_SUBSIDY)
        host_quality = rng.gauss(0.0, HOST_QUALITY_SD)
        status = "paused" if rng.random() < 0.06 else "active"
        paused_until = None
        if status == "paused" and rng.random() < 0.6:
            paused_until = self._date(rng.randint(14, 120)).isoformat()

        opening_rows: list[dict[str, Any]] = []
        facts_openings: list[tuple[DemoOccupation, str, frozenset[int], dict[str, Any]]] = []
        for number in range(n_openings):
            row, occupation, sector_key, essential = self._opening(rng, sector, business, name, postcode, ref, index,
                                                                   number, offers)
            schemes.update(Scheme(s) for s in row["schemes"])
            opening_rows.append(row)
            facts_openings.append((occupation, sector_key, essential, row))
        if not schemes:
            schemes.add(Scheme.ORDINARY)

        first, surname = rng.choice(cat.FIRST_NAMES_DA), rng.choice(cat.SURNAMES_DA)
        # Reserved `.example` top-level domain: demo addresses can never reach a real mailbox.
        domain = f"{_ascii_slug(name.removesuffix(' ApS').removesuffix(' A/S').removesuffix(' I/S'))}.example"
        contact: dict[str, Any] = {"name": f"{first} {surname}"}
        if rng.random() < 0.9:
            contact["email"] = f"{_ascii_slug(first).replace('-', '')}@{domain}"
        if rng.random() < 0.8:
            contact["phone"] = "+45 " + " ".join(f"{rng.randint(20 if i == 0 else 0, 99):02d}" for i in range(4))
        capacity = max(1, min(50, round(math.sqrt(employees) * rng.uniform(0.3, 0.9))))
        if zero_openings:
            capacity = min(capacity, 3)
        row = {
            "external_ref": ref,
            "cvr": self._new_cvr(rng),
            "name": name,
            "industry": business.industry,
            "address": f"{rng.choice(cat.STREET_NAMES_DA)} {rng.randint(1, 160)}"
            + (rng.choice("ABC") if rng.random() < 0.08 else ""),
            "postcode": postcode.code,
            "description": self._employer_description(rng, business, employees, offers, schemes, postcode),
            "offers": offers,
            "contact": contact,
            "schemes": sorted(schemes, key=SCHEME_ORDER.__getitem__),
            "capacity": capacity,
            "available_from": self._date(rng.randint(0, 60)).isoformat() if rng.random() < 0.25 else None,
            "status": status,
            "paused_until": paused_until,
        }
        self._write("employers.jsonl", row)
        offered = frozenset(
            [key for key in ("mentor", "reduced_hours", "flexible_hours", "gradual_start") if offers[key]]
            + list(offers["accommodations"])
        )
        employer = EmployerFacts(ref, jobcentre, sector.key, postcode.latitude, postcode.longitude, offered,
                                 frozenset(schemes), host_quality)
        self.employer_facts.append(employer)
        if Scheme.INTERNSHIP in schemes:
            self.internship_hosts[jobcentre].append(employer)
        for opening_row in opening_rows:
            self._write("openings.jsonl", opening_row)
        for occupation, sector_key, essential, opening_row in facts_openings:
            opening_postcode = self.geography.by_code[opening_row["postcode"] or postcode.code]
            facts = OpeningFacts(
                ref=opening_row["external_ref"],
                employer=employer,
                occupation=occupation,
                sector_key=sector_key,
                essential=essential,
                hours_min=opening_row["hours_min"],
                hours_max=opening_row["hours_max"],
                conditions=frozenset(WorkCondition(c) for c in opening_row["work_conditions"]),
                schemes=tuple(Scheme(s) for s in opening_row["schemes"]),
                latitude=opening_postcode.latitude,
                longitude=opening_postcode.longitude,
            )
            self.openings_by_jobcentre[jobcentre].append(facts)
            self.openings_by_sector.setdefault((jobcentre, sector_key), []).append(facts)
            self.openings_by_group.setdefault((jobcentre, occupation.isco_group), []).append(facts)

    def _employer_description(
        self,
        rng: random.Random,
        business: cat.BusinessType,
        employees: int,
        offers: dict[str, Any],
        schemes: set[Scheme],
        postcode: Postcode,
    ) -> str:
        parts = [business.description_da, f"Vi er omkring {employees} ansatte og holder til i {postcode.name}."]
        if offers["mentor"]:
            parts.append("Nye medarbejdere får en fast mentor, som de altid kan gå til.")
        if offers["gradual_start"]:
            parts.append("Vi er vant til at lave en blød opstart med få timer i starten.")
        if offers["reduced_hours"] or offers["flexible_hours"]:
            parts.append("Der er mulighed for nedsat tid og fleksible mødetider.")
        if Scheme.INTERNSHIP in schemes and rng.random() < 0.7:
            parts.append("Vi har gode erfaringer med virksomhedspraktik og tager gerne imod borgere fra jobcentret.")
        if "language_support" in offers["accommodations"]:
            parts.append("Vi har kolleger, der hjælper nye medarbejdere med det danske sprog.")
        return " ".join(parts)

    def _opening(
        self,
        rng: random.Random,
        sector: cat.Sector,
        business: cat.BusinessType,
        employer_name: str,
        employer_postcode: Postcode,
        employer_ref: str,
        employer_index: int,
        number: int,
        offers: dict[str, Any],
    ) -> tuple[dict[str, Any], DemoOccupation, str, frozenset[int]]:
        if rng.random() < cat.CROSS_SECTOR_SHARE:
            sector_key, groups = rng.choice(cat.CROSS_SECTOR_GROUPS)
            occupation = self.catalogue.pick(rng, groups)
            opening_sector = cat.SECTOR_BY_KEY[sector_key]
        else:
            occupation = self.catalogue.pick(rng, business.isco_weights)
            opening_sector = sector
        with_uri = rng.random() < 0.85

        # Schemes: a realistic mix; flexjob openings are their own kind with few hours.
        if rng.random() < 0.12:
            schemes = {Scheme.FLEXJOB} | ({Scheme.INTERNSHIP} if rng.random() < 0.4 else set())
            hours_min = rng.randint(8, 15)
            hours_max = min(25, hours_min + rng.randint(0, 10))
        else:
            schemes = set()
            if rng.random() < 0.6:
                schemes.add(Scheme.ORDINARY)
            if rng.random() < 0.5:
                schemes.add(Scheme.INTERNSHIP)
            if rng.random() < 0.3:
                schemes.add(Scheme.WAGE_SUBSIDY)
            if not schemes:
                schemes.add(rng.choice((Scheme.ORDINARY, Scheme.INTERNSHIP, Scheme.WAGE_SUBSIDY)))
            roll = rng.random()
            if schemes == {Scheme.INTERNSHIP}:
                hours_min, hours_max = rng.choice(((10, 25), (15, 30), (20, 37), (10, 37), (25, 37)))
            elif roll < 0.6:
                hours_min = hours_max = 37
            elif roll < 0.8:
                hours_min, hours_max = rng.choice(((30, 37), (32, 37), (25, 37)))
            else:
                hours_min = rng.choice((15, 20, 25))
                hours_max = hours_min + rng.choice((0, 5, 10))

        # Skills: 3-8 from the occupation's ESCO relations, essential ones flagged.
        n_skills = min(rng.randint(3, 8), len(occupation.essential) + len(occupation.optional))
        n_essential = max(1, round(n_skills * rng.uniform(0.5, 0.8)), n_skills - len(occupation.optional))
        n_essential = min(len(occupation.essential), n_essential)
        essential = rng.sample(occupation.essential, n_essential)
        optional = rng.sample(occupation.optional, min(len(occupation.optional), n_skills - n_essential))
        text_only = not with_uri and rng.random() < 0.5
        skills = []
        for skill_index, is_essential in [(i, True) for i in essential] + [(i, False) for i in optional]:
            skill = self.catalogue.skills[skill_index]
            entry: dict[str, Any] = {"text": skill.label_en, "essential": is_essential}
            if not text_only:
                entry["uri"] = skill.uri
            skills.append(entry)

        conditions: set[WorkCondition] = {
            condition for condition, chance in opening_sector.conditions.items() if rng.random() < chance
        }
        conditions.update(cat.GROUP_CONDITIONS.get(occupation.isco_group, ()))
        for keep, drop in cat.EXCLUSIVE_CONDITIONS:
            if keep in conditions:
                conditions.discard(drop)

        title = self._opening_title(rng, occupation, with_uri, schemes, hours_max, employer_postcode)
        status = _pick_weighted(rng, cat.OPENING_STATUS_WEIGHTS)
        start_date: str | None
        expires_on: str | None
        if status in ("filled", "closed"):
            start = self._date(rng.randint(-150, -30))
            expires = start + dt.timedelta(days=rng.randint(14, 60))
            start_date, expires_on = start.isoformat(), expires.isoformat()
        else:
            start = self._date(rng.randint(-45, 75))
            start_date = start.isoformat() if rng.random() < 0.8 else None
            expires_on = (start + dt.timedelta(days=rng.randint(21, 150))).isoformat() if rng.random() < 0.85 else None
        own_demands = opening_sector.key != sector.key or rng.random() < 0.15
        row = {
            "external_ref": f"demo-opn-{employer_index:06d}-{number + 1:02d}",
            "employer_ref": employer_ref,
            "title": title,
            "description": self._opening_description(rng, occupation, opening_sector, employer_name, schemes,
                                                     hours_min, hours_max, offers),
            "occupation_uri": occupation.uri if with_uri else None,
            "skills": skills,
            "schemes": sorted(schemes, key=SCHEME_ORDER.__getitem__),
            "hours_min": hours_min,
            "hours_max": hours_max,
            "slots": _pick_weighted(rng, ((1, 0.55), (2, 0.25), (3, 0.12), (4, 0.04), (5, 0.02), (8, 0.02))),
            "postcode": employer_postcode.code if rng.random() < 0.85 else None,
            "physical_demands": _pick_weighted(rng, list(opening_sector.physical_demands.items())).value
            if own_demands else None,
            "work_conditions": sorted(conditions),
            "start_date": start_date,
            "expires_on": expires_on,
            "status": status,
        }
        return row, occupation, opening_sector.key, frozenset(essential)

    def _opening_title(
        self,
        rng: random.Random,
        occupation: DemoOccupation,
        with_uri: bool,
        schemes: set[Scheme],
        hours_max: int,
        postcode: Postcode,
    ) -> str:
        labels = occupation.labels_da
        disco = self.catalogue.disco_titles.get(occupation.isco_group, ())
        if not with_uri and disco and rng.random() < 0.4:
            area = rng.choice(disco)
            return f"Medarbejder til {area[:1].lower()}{area[1:]}"[:200]
        label = rng.choice(labels[1:]) if len(labels) > 1 and rng.random() < 0.2 else labels[0]
        label = label[:1].upper() + label[1:]
        roll = rng.random()
        if schemes == {Scheme.INTERNSHIP} and roll < 0.5:
            return f"Praktik som {label[:1].lower()}{label[1:]}"
        if Scheme.FLEXJOB in schemes and roll < 0.5:
            return f"{label} i fleksjob, {hours_max} timer"
        if roll < 0.2:
            return f"{label} til {postcode.name}"
        if roll < 0.3:
            return f"{label} søges"
        return label

    def _opening_description(
        self,
        rng: random.Random,
        occupation: DemoOccupation,
        sector: cat.Sector,
        employer_name: str,
        schemes: set[Scheme],
        hours_min: int,
        hours_max: int,
        offers: dict[str, Any],
    ) -> str:
        hours = f"{hours_max} timer om ugen" if hours_min == hours_max else f"{hours_min}-{hours_max} timer om ugen"
        parts = [f"{employer_name} søger en {occupation.labels_da[0]} på {hours}.", rng.choice(sector.tasks_da)]
        fitting = self.catalogue.sentences_by_sector.get(sector.key, ())
        if fitting and rng.random() < 0.35:
            parts.append(rng.choice(fitting))
        if self.catalogue.generic_sentences and rng.random() < 0.5:
            parts.append(rng.choice(self.catalogue.generic_sentences))
        for scheme in sorted(schemes, key=SCHEME_ORDER.__getitem__):
            if scheme is not Scheme.ORDINARY:
                parts.append(cat.SCHEME_DESCRIPTIONS_DA[scheme])
        if offers["mentor"] and rng.random() < 0.6:
            parts.append("Du får en fast kollega som mentor i den første tid.")
        return " ".join(parts)

    # ----- citizens -----

    def _citizen(self, rng: random.Random, jobcentre: int, pool: WeightedPostcodes, number: int) -> CitizenTruth:
        target_group: TargetGroup = _pick_weighted(rng, list(cat.TARGET_GROUP_SHARES.items()))
        vulnerable = target_group in cat.VULNERABLE_GROUPS
        postcode: Postcode = rng.choices(pool.postcodes, cum_weights=pool.cum_weights)[0]
        sparse = rng.random() < 0.1
        home_sector: cat.Sector = rng.choices(cat.SECTORS, weights=self.citizen_sector_weights)[0]

        # Experience: mostly in one trade, sometimes a second.
        if target_group is TargetGroup.UDDANNELSESHJAELP:
            n_experience = _pick_weighted(rng, ((0, 0.4), (1, 0.45), (2, 0.15)))
        else:
            n_experience = _pick_weighted(rng, ((0, 0.08), (1, 0.45), (2, 0.32), (3, 0.15)))
        if sparse:
            n_experience = min(n_experience, 1)
        experience: list[DemoOccupation] = []
        for _ in range(n_experience):
            sector = home_sector
            if rng.random() >= 0.75:
                sector = rng.choices(cat.SECTORS, weights=self.citizen_sector_weights)[0]
            occupation = self.catalogue.pick_in_sector(rng, sector)
            if occupation not in experience:
                experience.append(occupation)
        max_years = 3.0 if target_group is TargetGroup.UDDANNELSESHJAELP else 20.0
        experience_rows = []
        for occupation in experience:
            years = round(min(max_years, rng.expovariate(1 / 4.0) + 0.25) * 2) / 2
            roll = rng.random()
            entry: dict[str, Any] = {"years": years}
            if roll < 0.9:
                entry["occupation_uri"] = occupation.uri
            if roll < 0.65 or roll >= 0.9:
                entry["title"] = rng.choice(occupation.labels_da)
            experience_rows.append(entry)

        # True skills come from the experience; the recorded profile shows a subset.
        true_skills: set[int] = set()
        for occupation in experience:
            true_skills.update(i for i in occupation.essential if rng.random() < 0.75)
            true_skills.update(i for i in occupation.optional if rng.random() < 0.2)
        ordered_true = sorted(true_skills)
        if sparse:
            recorded = rng.sample(ordered_true, min(len(ordered_true), rng.randint(0, 2)))
        else:
            recorded = [i for i in ordered_true if rng.random() < 0.5][:30]
        skill_rows = []
        for skill_index in recorded:
            skill = self.catalogue.skills[skill_index]
            roll = rng.random()
            skill_rows.append({"uri": skill.uri} if roll < 0.1 else {"text": skill.label_en} if roll < 0.2
                              else {"uri": skill.uri, "text": skill.label_en})

        # Wishes: the same trade, or a change of career.
        wish_sectors: set[str] = set()
        if experience and rng.random() < 0.6:
            wish_sectors.add(home_sector.key)
        if rng.random() < 0.4 or not wish_sectors:
            wish_sectors.add(rng.choices(cat.SECTORS, weights=self.citizen_sector_weights)[0].key)
        wish_occupations: list[DemoOccupation] = []
        wish_rows = []
        if not sparse:
            for sector_key in sorted(wish_sectors):
                for _ in range(rng.choice((0, 1, 1, 2))):
                    occupation = self.catalogue.pick_in_sector(rng, cat.SECTOR_BY_KEY[sector_key])
                    if occupation in wish_occupations:
                        continue
                    wish_occupations.append(occupation)
                    roll = rng.random()
                    wish_rows.append({"uri": occupation.uri} if roll < 0.2
                                     else {"text": occupation.labels_da[0]} if roll < 0.3
                                     else {"uri": occupation.uri, "text": occupation.labels_da[0]})
        industries = []
        if not sparse and rng.random() < 0.4:
            for sector_key in sorted(wish_sectors):
                industries.append(rng.choice(cat.SECTOR_BY_KEY[sector_key].all_industries()))

        # Limitations (true ones act on outcomes; only consented ones are written) and needs.
        limitations: set[Limitation] = set()
        if rng.random() < cat.LIMITATION_RATE[target_group]:
            for _ in range(_pick_weighted(rng, ((1, 0.55), (2, 0.3), (3, 0.15)))):
                limitations.add(_pick_weighted(rng, list(cat.LIMITATION_WEIGHTS.items())))
        consent = bool(limitations) and rng.random() < 0.88
        band = 1 if vulnerable else 0
        needs = []
        for need, rates in cat.NEED_RATES.items():
            rate = rates[band] if target_group not in (TargetGroup.KONTANTHJAELP, TargetGroup.UDDANNELSESHJAELP) \
                else (rates[0] + rates[1]) / 2
            if rng.random() < rate:
                needs.append(need)

        text_parts = []
        if not sparse:
            for sector_key in sorted(wish_sectors):
                if rng.random() < 0.6:
                    text_parts.append(rng.choice(cat.SECTOR_BY_KEY[sector_key].wish_texts_da))
            for need in needs:
                if need in cat.NEED_WISH_TEXTS_DA and rng.random() < 0.4:
                    text_parts.append(cat.NEED_WISH_TEXTS_DA[need])
            if consent:
                for limitation in sorted(limitations):
                    if limitation in cat.LIMITATION_WISH_TEXTS_DA and rng.random() < 0.5:
                        text_parts.append(cat.LIMITATION_WISH_TEXTS_DA[limitation])
            if rng.random() < 0.3:
                text_parts.append(rng.choice(cat.GENERAL_WISH_TEXTS_DA))
        text_parts = list(dict.fromkeys(text_parts))

        (min_low, min_high), (max_low, max_high) = cat.HOURS_BY_TARGET_GROUP[target_group]
        hours_max = rng.randint(max_low, max_high)
        hours_min = min(hours_max, rng.randint(min_low, min_high))
        commute_weights = cat.COMMUTE_WEIGHTS_VULNERABLE if vulnerable else cat.COMMUTE_WEIGHTS_ORDINARY
        max_commute_km = rng.choices(cat.COMMUTE_CHOICES_KM, weights=commute_weights)[0]
        education_weights = cat.EDUCATION_WEIGHTS.get(target_group, cat.DEFAULT_EDUCATION_WEIGHTS)
        education: EducationLevel | None = (
            _pick_weighted(rng, list(education_weights.items())) if rng.random() < 0.92 else None
        )
        allowed = sorted(SCHEMES_BY_TARGET_GROUP[target_group], key=SCHEME_ORDER.__getitem__)
        if rng.random() < 0.25 and len(allowed) > 1:
            schemes = sorted(rng.sample(allowed, rng.randint(1, len(allowed) - 1)), key=SCHEME_ORDER.__getitem__)
        else:
            schemes = allowed

        ref = f"demo-{jobcentre}-{number:06d}"
        row = {
            "reference": ref,
            "jobcentre_code": jobcentre,
            "postcode": postcode.code,
            "target_group": target_group.value,
            "skills": skill_rows,
            "experience": experience_rows,
            "education_level": education.value if education else None,
            "wishes": {"occupations": wish_rows, "industries": industries, "text": " ".join(text_parts)},
            "max_commute_km": max_commute_km,
            "hours_min": hours_min,
            "hours_max": hours_max,
            "limitations": sorted(limitations) if consent else [],
            "limitations_consent": consent,
            "needs": sorted(needs),
            "schemes": [s.value for s in schemes],
            "active": rng.random() >= 0.04,
        }
        self._write("citizens.jsonl", row)
        return CitizenTruth(
            ref=ref,
            jobcentre=jobcentre,
            target_group=target_group,
            postcode=postcode,
            true_skills=frozenset(true_skills),
            recorded_skills=frozenset(recorded),
            experience=tuple(experience),
            wish_occupations=frozenset(o.index for o in wish_occupations),
            wish_sectors=frozenset(wish_sectors),
            max_commute_km=max_commute_km,
            hours_min=hours_min,
            hours_max=hours_max,
            needs=tuple(needs),
            limitations=frozenset(limitations),
            limitations_recorded=consent,
            schemes=tuple(schemes),
        )

    def _audit(self, rng: random.Random, truth: CitizenTruth) -> None:
        """Synthetic protected attributes, drawn after everything else from their own stream."""
        bands = cat.YOUNG_AGE_BANDS if truth.target_group is TargetGroup.UDDANNELSESHJAELP else cat.AGE_BANDS
        self._write("citizen_audit_attributes.jsonl", {
            "reference": truth.ref,
            "jobcentre_code": truth.jobcentre,
            "age_band": _pick_weighted(rng, bands),
            "gender": _pick_weighted(rng, cat.GENDERS),
        })

    # ----- history -----

    def _history(self, rng: random.Random, truth: CitizenTruth) -> None:
        if self.history_weeks <= 0:
            return
        openings = self.openings_by_jobcentre[truth.jobcentre]
        hosts = self.internship_hosts[truth.jobcentre]
        if not openings and not hosts:
            return
        if rng.random() >= min(0.85, 0.55 * self.history_weeks / 52):
            return
        n_suggestions = 1
        while n_suggestions < 8 and rng.random() < 0.55:
            n_suggestions += 1
        # Consultants suggest mostly openings in the citizen's own line of work, then wished-for trades.
        own_groups = sorted({o.isco_group for o in truth.experience})
        related = sorted(truth.wish_sectors | {o.sector_key for o in truth.experience})
        seen: set[str] = set()
        for _ in range(n_suggestions):
            opening: OpeningFacts | None = None
            if openings and (not hosts or rng.random() < 0.8):
                roll = rng.random()
                bucket = openings
                if own_groups and roll < 0.45:
                    bucket = self.openings_by_group.get((truth.jobcentre, rng.choice(own_groups))) or openings
                elif related and roll < 0.75:
                    bucket = self.openings_by_sector.get((truth.jobcentre, rng.choice(related))) or openings
                # Of two candidates the nearer one is suggested: consultants look close to home first.
                first, second = rng.choice(bucket), rng.choice(bucket)
                opening = min((first, second), key=lambda o: self._commute(truth, o.latitude, o.longitude))
                employer = opening.employer
                key = opening.ref
                options = [s for s in truth.schemes if s in opening.schemes]
            else:
                employer = rng.choice(hosts)
                key = employer.ref
                options = [Scheme.INTERNSHIP] if Scheme.INTERNSHIP in truth.schemes else []
            if key in seen or not options:
                continue
            seen.add(key)
            scheme = rng.choices(options, weights=[_scheme_preference(s, truth.target_group) for s in options])[0]
            self._suggestion(rng, truth, employer, opening, scheme)

    @staticmethod
    def _commute(truth: CitizenTruth, latitude: float, longitude: float) -> float:
        return great_circle_km(truth.postcode.latitude, truth.postcode.longitude, latitude, longitude)

    def _suggestion(
        self,
        rng: random.Random,
        truth: CitizenTruth,
        employer: EmployerFacts,
        opening: OpeningFacts | None,
        scheme: Scheme,
    ) -> None:
        latitude = opening.latitude if opening else employer.latitude
        longitude = opening.longitude if opening else employer.longitude
        commute_km = self._commute(truth, latitude, longitude)
        if opening:
            essential = opening.essential
            true_overlap = len(essential & truth.true_skills) / len(essential) if essential else 0.0
            visible_overlap = len(essential & truth.recorded_skills) / len(essential) if essential else 0.0
            occupation = opening.occupation
            experience_match = max(
                (1.0 if o.index == occupation.index else 0.5 if o.isco_group == occupation.isco_group else 0.0)
                for o in truth.experience
            ) if truth.experience else 0.0
            wish_match = 1.0 if occupation.index in truth.wish_occupations or opening.sector_key in truth.wish_sectors \
                else 0.0
            misfit = hours_misfit(opening.hours_min, opening.hours_max, truth.hours_min, truth.hours_max)
            conditions = opening.conditions
        else:
            # An internship straight with the employer: the tasks are shaped around the citizen.
            true_overlap = visible_overlap = 0.5 if employer.sector_key in {o.sector_key for o in truth.experience} \
                else 0.2
            experience_match = 0.0
            wish_match = 1.0 if employer.sector_key in truth.wish_sectors else 0.0
            misfit = 0.0
            conditions = frozenset()
        conflicts = sum(1 for limitation in truth.limitations if LIMITATION_CONFLICTS[limitation] & conditions)
        visible_conflicts = conflicts if truth.limitations_recorded else 0
        needs_met = sum(1 for need in truth.needs if NEED_TO_OFFER.get(need, need.value) in employer.offers)

        # The consultant sees the recorded profile, not the truth.
        visible_score = (
            -0.1 + 1.6 * visible_overlap + 0.8 * experience_match + 0.7 * wish_match
            - 1.2 * (commute_km > truth.max_commute_km) - 1.0 * misfit - 1.5 * visible_conflicts
            + 0.3 * needs_met + rng.gauss(0.0, 0.8)
        )
        accepted = visible_score > 0.3
        window = self.history_weeks * 7
        if accepted:
            reason = self._accept_reason(rng, visible_overlap, experience_match, wish_match, commute_km, needs_met)
        elif visible_conflicts:
            reason = "limitation_conflict"
        elif commute_km > truth.max_commute_km:
            reason = "too_far"
        elif misfit > 0.3:
            reason = "hours_mismatch"
        elif visible_overlap < 0.2 and experience_match == 0.0:
            reason = "skills_mismatch"
        else:
            reason = rng.choice(DECLINE_REASONS_OTHER)

        decision_ref = f"demo-dec-{self.counts['decisions.jsonl'] + 1:07d}"
        base = {
            "citizen_ref": truth.ref,
            "jobcentre_code": truth.jobcentre,
            "employer_ref": employer.ref,
            "opening_ref": opening.ref if opening else None,
            "scheme": scheme.value,
        }
        if not accepted:
            decided = self._date(-rng.randint(1, max(1, window)))
            self._write("decisions.jsonl", {**base, "external_ref": decision_ref, "decision": "declined",
                                            "reason_code": reason, "decided_on": decided.isoformat()})
            return

        planned_days = {
            Scheme.INTERNSHIP: rng.randint(4, 13) * 7,
            Scheme.WAGE_SUBSIDY: rng.randint(13, 26) * 7,
            Scheme.ORDINARY: rng.randint(8, 26) * 7,
            Scheme.FLEXJOB: rng.randint(8, 26) * 7,
        }[scheme]
        lead_days = rng.randint(7, 21)
        latest_decision = -planned_days - lead_days
        if -window > latest_decision:
            planned_days = max(7, window - lead_days - 1)
            latest_decision = -planned_days - lead_days
        decided = self._date(rng.randint(-window, max(-window, min(-1, latest_decision))))
        self._write("decisions.jsonl", {**base, "external_ref": decision_ref, "decision": "accepted",
                                        "reason_code": reason, "decided_on": decided.isoformat()})
        start = decided + dt.timedelta(days=lead_days)
        facts = PairFacts(
            essential_overlap=true_overlap,
            experience_match=experience_match,
            wish_match=wish_match,
            commute_km=commute_km,
            max_commute_km=truth.max_commute_km,
            hours_misfit=misfit,
            needs_total=len(truth.needs),
            needs_met=needs_met,
            limitation_conflicts=conflicts,
            host_quality=employer.host_quality,
            scheme=scheme,
        )
        success = rng.random() < success_probability(facts, rng.gauss(0.0, NOISE_SD))
        if success:
            outcome = _pick_weighted(rng, SUCCESS_OUTCOMES[scheme])
            end = start + dt.timedelta(days=planned_days)
        elif rng.random() < 0.25:
            outcome = "cancelled"
            end = start
        else:
            outcome = "dropped_out"
            end = start + dt.timedelta(days=max(1, round(planned_days * rng.uniform(0.1, 0.8))))
        end = min(end, self.reference_date)
        self._write("placements.jsonl", {
            **base,
            "external_ref": f"demo-plc-{self.counts['placements.jsonl'] + 1:07d}",
            "decision_ref": decision_ref,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "outcome": outcome,
        })

    @staticmethod
    def _accept_reason(
        rng: random.Random,
        overlap: float,
        experience_match: float,
        wish_match: float,
        commute_km: float,
        needs_met: int,
    ) -> str:
        if overlap >= 0.5 or experience_match >= 1.0:
            return "skills_match"
        if wish_match:
            return "matches_wishes"
        if needs_met:
            return "supportive_employer"
        if commute_km < 5:
            return "close_to_home"
        return rng.choice(("try_out", "close_to_home"))


SUCCESS_OUTCOMES: dict[Scheme, tuple[tuple[str, float], ...]] = {
    Scheme.ORDINARY: (("hired", 0.85), ("completed", 0.15)),
    Scheme.INTERNSHIP: (("completed", 0.5), ("hired", 0.2), ("extended", 0.3)),
    Scheme.WAGE_SUBSIDY: (("hired", 0.4), ("completed", 0.4), ("extended", 0.2)),
    Scheme.FLEXJOB: (("hired", 0.85), ("extended", 0.15)),
}
OUTCOMES = ("completed", "hired", "extended", "dropped_out", "cancelled")
SUCCESSFUL_OUTCOMES = frozenset({"completed", "hired", "extended"})


def _scheme_preference(scheme: Scheme, target_group: TargetGroup) -> float:
    """How consultants lean when a pair allows several schemes: a try-out first for the vulnerable."""
    if scheme is Scheme.INTERNSHIP:
        return 3.0 if target_group in cat.VULNERABLE_GROUPS else 1.5
    if scheme is Scheme.FLEXJOB:
        return 3.0
    if scheme is Scheme.ORDINARY:
        return 2.0 if target_group is TargetGroup.DAGPENGE else 1.0
    return 1.0


__all__ = [
    "DEFAULT_JOBCENTRES",
    "DEFAULT_REFERENCE_DATE",
    "FILES",
    "MANIFEST",
    "OUTCOMES",
    "SUCCESSFUL_OUTCOMES",
    "ProgressCallback",
    "generate",
]
