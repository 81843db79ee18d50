"""The slice of the ESCO taxonomy the demo data draws from: occupations by ISCO group, their skills,
Danish titles and job-ad sentences, precomputed once so row generation is cheap."""

import functools
import random
import re
from collections import defaultdict
from dataclasses import dataclass

from core.validation import looks_like_cpr
from demo.catalogue import CROSS_SECTOR_GROUPS, SECTORS, Sector
from taxonomy import package_data

# Managerial and highly specialised occupations are rare jobcentre placements; label words that mark them.
_RARE_LABEL_WORDS = (
    "chef", "leder", "direktør", "mester", "specialist", "ekspert", "arkitekt", "inspektør", "speciale",
    "specialiseret",
)
# ...and words that mark the broad entry-level roles jobcentres place people in.
_ENTRY_LABEL_WORDS = ("medarbejder", "assistent", "hjælper", "arbejder", "personale", "opfylder")
_SENTENCE_BLOCKLIST = (
    "<", "(", ")", "”", "patient", "skadestue", "sygepleje", "ledelse", "leder", "elever", "undervis", "tolk",
    "ambulance", "1-1-2", "akut", "ansøgning", "kontakt", "mrk", "hospital", "skole", "region",
)
_GENERIC_SENTENCE_WORDS = (
    "kolleg", "samarbejd", "arbejdsmiljø", "team", "fleksib", "mødestabil", "overblik", "struktureret",
    "arbejdsom", "sammenhold", "sparring", "opgaver", "humor", "løsningsorienteret",
)


@dataclass(frozen=True)
class DemoOccupation:
    """An ESCO occupation with what the generator needs: Danish labels and skill indices."""

    index: int
    uri: str
    isco_group: str
    sector_key: str
    labels_da: tuple[str, ...]
    essential: tuple[int, ...]
    optional: tuple[int, ...]

    @property
    def title_da(self) -> str:
        label = self.labels_da[0]
        return label[:1].upper() + label[1:]


@dataclass(frozen=True)
class DemoSkill:
    uri: str
    label_en: str


class WeightedChoice:
    """Items with cumulative weights for `random.Random.choices`."""

    def __init__(self, items: list[int], weights: list[float]) -> None:
        self.items = items
        total = 0.0
        self.cum_weights: list[float] = []
        for weight in weights:
            total += weight
            self.cum_weights.append(total)

    def pick(self, rng: random.Random) -> int:
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]


class OccupationCatalogue:
    """ESCO occupations with a Danish label in the ISCO groups the sectors name, with their skills."""

    def __init__(self) -> None:
        wanted_groups: dict[str, str] = {}  # ISCO group -> the first sector naming it
        for sector in SECTORS:
            for business in sector.business_types:
                for group in business.isco_weights:
                    wanted_groups.setdefault(group, sector.key)
        for sector_key, groups in CROSS_SECTOR_GROUPS:
            for group in groups:
                wanted_groups.setdefault(group, sector_key)

        candidates = sorted(
            (o for o in package_data.load_occupations() if o.labels_da and o.isco_group in wanted_groups),
            key=lambda o: o.uri,
        )
        wanted_uris = {o.uri for o in candidates}
        essential: dict[str, list[str]] = defaultdict(list)
        optional: dict[str, list[str]] = defaultdict(list)
        for link in package_data.load_occupation_skills():
            if link.occupation_uri in wanted_uris:
                target = essential if link.relation == "essential" else optional
                target[link.occupation_uri].append(link.skill_uri)
        skill_labels = {s.uri: s.label_en for s in package_data.load_skills()}
        used_skills = sorted({uri for links in (essential, optional) for uri_list in links.values() for uri in uri_list
                              if uri in skill_labels})
        self.skills: tuple[DemoSkill, ...] = tuple(DemoSkill(uri, skill_labels[uri]) for uri in used_skills)
        skill_index = {skill.uri: i for i, skill in enumerate(self.skills)}

        occupations: list[DemoOccupation] = []
        for occupation in candidates:
            ess = tuple(sorted(skill_index[u] for u in set(essential[occupation.uri]) if u in skill_index))
            opt = tuple(sorted(skill_index[u] for u in set(optional[occupation.uri]) - set(essential[occupation.uri])
                               if u in skill_index))
            if not ess or len(ess) + len(opt) < 3:
                continue
            occupations.append(DemoOccupation(
                index=len(occupations),
                uri=occupation.uri,
                isco_group=occupation.isco_group,
                sector_key=wanted_groups[occupation.isco_group],
                labels_da=tuple(label for label in occupation.labels_da if not looks_like_cpr(label)),
                essential=ess,
                optional=opt,
            ))
        self.occupations: tuple[DemoOccupation, ...] = tuple(occupations)
        by_group: dict[str, list[DemoOccupation]] = defaultdict(list)
        for occ in self.occupations:
            by_group[occ.isco_group].append(occ)
        # Within a group, prefer short, general labels ("lagerarbejder") over narrow specialities.
        self.by_group: dict[str, WeightedChoice] = {
            group: WeightedChoice([o.index for o in members], [_typicality(o.labels_da[0]) for o in members])
            for group, members in sorted(by_group.items())
        }
        self.disco_titles: dict[str, tuple[str, ...]] = _disco_titles(set(self.by_group))
        self.sentences_by_sector, self.generic_sentences = _sentences()
        self._group_cache: dict[tuple[tuple[str, float], ...], tuple[list[str], WeightedChoice]] = {}

    @staticmethod
    @functools.cache
    def shared() -> "OccupationCatalogue":
        """One catalogue per process: it only depends on the package data."""
        return OccupationCatalogue()

    def pick(self, rng: random.Random, isco_weights: dict[str, float]) -> DemoOccupation:
        """Draw an ISCO group by weight, then an occupation in it (general labels likelier)."""
        key = tuple(isco_weights.items())
        groups = self._group_cache.get(key)
        if groups is None:
            present = [group for group in isco_weights if group in self.by_group]
            groups = (present, WeightedChoice(list(range(len(present))), [isco_weights[g] for g in present]))
            self._group_cache[key] = groups
        group = groups[0][groups[1].pick(rng)]
        return self.occupations[self.by_group[group].pick(rng)]

    def pick_in_sector(self, rng: random.Random, sector: Sector) -> DemoOccupation:
        business = rng.choice(sector.business_types)
        return self.pick(rng, business.isco_weights)


def _typicality(label: str) -> float:
    words = len(label.split())
    weight = 1.0 / words**1.5
    if any(word in label.lower() for word in _RARE_LABEL_WORDS):
        weight *= 0.15
    if any(word in label.lower() for word in _ENTRY_LABEL_WORDS):
        weight *= 2.5
    return weight


def _disco_titles(groups: set[str]) -> dict[str, tuple[str, ...]]:
    titles: dict[str, list[str]] = defaultdict(list)
    for title in package_data.load_disco_titles():
        if title.isco_group in groups and len(title.code) == 6 and not looks_like_cpr(title.title_da):
            titles[title.isco_group].append(title.title_da)
    return {group: tuple(sorted(found)) for group, found in sorted(titles.items())}


def _sentences() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Job-ad sentences that read well on their own: per sector by keyword, and generic ones."""
    usable: list[str] = []
    for raw in package_data.load_job_ad_sentences_da():
        sentence = " ".join(raw.split())
        lowered = sentence.lower()
        if not 30 <= len(sentence) <= 220 or re.search(r"\d", sentence) or looks_like_cpr(sentence):
            continue
        if not sentence[0].isupper() or any(word in lowered for word in _SENTENCE_BLOCKLIST):
            continue
        usable.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
    usable = sorted(set(usable))
    by_sector: dict[str, tuple[str, ...]] = {}
    keyworded: set[str] = set()
    for sector in SECTORS:
        found = tuple(s for s in usable if any(k in s.lower() for k in sector.sentence_keywords))
        by_sector[sector.key] = found
        keyworded.update(found)
    generic = tuple(
        s for s in usable if s not in keyworded and any(word in s.lower() for word in _GENERIC_SENTENCE_WORDS)
    )
    return by_sector, generic
