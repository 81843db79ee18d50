"""Hand-written Danish word lists and trade definitions the demo-data generator composes rows from.

A *sector* is a kind of trade typical for jobcentre placements; each has *business types* that fix a
company's DB07 industry code, name patterns and which ISCO-08 unit groups its openings draw ESCO
occupations from. Nothing here names individual ESCO occupations: occupations are chosen by ISCO group.
"""

from dataclasses import dataclass

from core.vocab import EducationLevel, Limitation, Need, PhysicalDemands, Scheme, TargetGroup, WorkCondition

WC = WorkCondition


@dataclass(frozen=True)
class BusinessType:
    """One kind of company within a sector: its DB07 code, name patterns and occupation mix."""

    industry: str
    name_patterns: tuple[str, ...]
    isco_weights: dict[str, float]
    description_da: str
    municipal: bool = False


@dataclass(frozen=True)
class Sector:
    """A trade: business types, physical demands, typical work conditions and citizens' words for it."""

    key: str
    label_da: str
    weight: float
    business_types: tuple[BusinessType, ...]
    physical_demands: dict[PhysicalDemands, float]
    conditions: dict[WorkCondition, float]
    tasks_da: tuple[str, ...]
    wish_texts_da: tuple[str, ...]
    sentence_keywords: tuple[str, ...] = ()
    mentor_rate: float = 0.45

    def all_industries(self) -> tuple[str, ...]:
        """The DB07 codes of the sector's business types, de-duplicated in order."""
        return tuple(dict.fromkeys(business.industry for business in self.business_types))


PD = PhysicalDemands

SECTORS: tuple[Sector, ...] = (
    Sector(
        key="warehouse",
        label_da="lager og logistik",
        weight=9,
        business_types=(
            BusinessType(
                "5210",
                (
                    "{surname} Logistik {suffix}",
                    "{town} Lager & Distribution {suffix}",
                    "{region} Fragtcenter {suffix}",
                ),
                {"9333": 4, "4321": 2, "8344": 2, "9321": 2},
                "Vi driver et lager med varemodtagelse, pluk og pak og udkørsel til butikker i hele regionen.",
            ),
            BusinessType(
                "4690",
                ("{surname} Engros {suffix}", "{town} Grossererforretning {suffix}"),
                {"9333": 3, "4321": 2, "5223": 1, "8344": 1},
                "Vi er en engrosvirksomhed med eget lager og leverer til erhvervskunder.",
            ),
        ),
        physical_demands={PD.HIGH: 0.55, PD.MEDIUM: 0.45},
        conditions={
            WC.HEAVY_LIFTING: 0.7, WC.MOSTLY_STANDING: 0.6, WC.MUCH_WALKING: 0.5, WC.REPETITIVE_WORK: 0.5,
            WC.HIGH_PACE: 0.4, WC.NIGHT_SHIFTS: 0.15, WC.NOISY_ENVIRONMENT: 0.2,
        },
        tasks_da=(
            "Du skal modtage varer, plukke ordrer og pakke forsendelser.",
            "Opgaverne er vareoptælling, pluk og pak samt oprydning på lageret.",
            "Du hjælper med at læsse og losse lastbiler og holde styr på lagerets hylder.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde på et lager.",
            "Noget praktisk hvor jeg kan bruge kroppen.",
            "Jeg har truckcertifikat og vil gerne bruge det.",
            "Gerne lager eller pakkeri, bare der er faste opgaver.",
        ),
        sentence_keywords=("lager", "truck"),
        mentor_rate=0.45,
    ),
    Sector(
        key="cleaning",
        label_da="rengøring og service",
        weight=7,
        business_types=(
            BusinessType(
                "8121",
                (
                    "{town} Rengøring {suffix}",
                    "{surname}s Rengøringsservice {suffix}",
                    "{region} Facility Service {suffix}",
                ),
                {"9112": 5, "9111": 1, "5153": 1},
                "Vi gør rent på kontorer, skoler og institutioner og har faste hold i hele området.",
            ),
            BusinessType(
                "8122",
                ("{town} Vinduespolering & Rengøring {suffix}",),
                {"9112": 3, "5153": 1},
                "Vi står for vinduespolering og hovedrengøring for både private og erhverv.",
            ),
            BusinessType(
                "4520",
                ("{town} Bilvask {suffix}", "{surname}s Bilpleje {suffix}"),
                {"9122": 3, "9112": 1},
                "Vi vasker og klargør biler for forhandlere og private kunder.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.6, PD.HIGH: 0.4},
        conditions={
            WC.MUCH_WALKING: 0.6, WC.MOSTLY_STANDING: 0.5, WC.REPETITIVE_WORK: 0.5, WC.HEAVY_LIFTING: 0.2,
            WC.HIGH_PACE: 0.25, WC.NIGHT_SHIFTS: 0.1,
        },
        tasks_da=(
            "Du gør rent på kontorer og fællesarealer efter en fast plan.",
            "Opgaverne er daglig rengøring, opfyldning af forbrugsvarer og affaldshåndtering.",
            "Du arbejder selvstændigt på faste adresser, ofte tidligt om morgenen.",
        ),
        wish_texts_da=(
            "Jeg kan godt lide at gøre rent, når jeg må arbejde i mit eget tempo.",
            "Et job med faste opgaver og ikke for mange mennesker omkring mig.",
            "Gerne tidligt om morgenen, så jeg har eftermiddagen fri.",
        ),
        sentence_keywords=("rengøring",),
        mentor_rate=0.35,
    ),
    Sector(
        key="retail",
        label_da="detailhandel",
        weight=12,
        business_types=(
            BusinessType(
                "4711",
                ("{town} Købmand", "{surname}s Minimarked {suffix}", "{town} Supermarked {suffix}"),
                {"5223": 2, "5230": 3, "9334": 3, "5222": 0.5},
                "Vi er et lokalt supermarked med friskvarer, kolonial og et stort kundeflow hver dag.",
            ),
            BusinessType(
                "4752",
                ("{surname} Byggemarked {suffix}", "{town} Trælast {suffix}"),
                {"5223": 3, "9333": 1, "5230": 1},
                "Vi sælger byggematerialer, værktøj og havevarer til private og håndværkere.",
            ),
            BusinessType(
                "4779",
                ("{town} Genbrug", "Genbrugsbutikken {place}"),
                {"5223": 2, "9334": 1, "5230": 1},
                "Vi er en genbrugsbutik drevet af frivillige og ansatte, hvor der er plads til alle.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.8, PD.LOW: 0.2},
        conditions={
            WC.CUSTOMER_CONTACT: 0.85, WC.MOSTLY_STANDING: 0.7, WC.REPETITIVE_WORK: 0.3, WC.HEAVY_LIFTING: 0.25,
            WC.HIGH_PACE: 0.3, WC.MUCH_WALKING: 0.3,
        },
        tasks_da=(
            "Du betjener kunder, fylder varer op og holder butikken pæn.",
            "Opgaverne er kassebetjening, vareopfyldning og kundeservice.",
            "Du hjælper kunderne med at finde varer og tager imod nye leverancer.",
        ),
        wish_texts_da=(
            "Jeg kan godt lide at snakke med kunder.",
            "Butik eller supermarked, gerne i dagtimerne.",
            "Jeg vil gerne prøve at stå i en butik.",
        ),
        sentence_keywords=("serviceminded",),
        mentor_rate=0.4,
    ),
    Sector(
        key="care",
        label_da="pleje og omsorg",
        weight=10,
        business_types=(
            BusinessType(
                "8710",
                ("{kommune} Kommune, Plejecenter {place}", "Plejehjemmet {place}"),
                {"5322": 2, "5321": 3, "5329": 1, "9412": 0.5, "9112": 0.5},
                "Plejecentret har beboere med behov for pleje døgnet rundt og et stort tværfagligt personale.",
                municipal=True,
            ),
            BusinessType(
                "8810",
                ("{kommune} Kommune, Hjemmeplejen {district}", "{region} Hjemmehjælp {suffix}"),
                {"5322": 4, "5321": 2},
                "Hjemmeplejen hjælper ældre borgere i eget hjem med personlig pleje og praktisk hjælp.",
                municipal=True,
            ),
            BusinessType(
                "8790",
                ("Bostedet {place}", "Botilbuddet {place}"),
                {"5321": 2, "5322": 1, "9412": 0.5},
                "Vi er et botilbud for voksne med særlige behov, hvor hverdagen bygger på ro og faste rammer.",
            ),
        ),
        physical_demands={PD.HIGH: 0.4, PD.MEDIUM: 0.6},
        conditions={
            WC.MUCH_WALKING: 0.6, WC.MOSTLY_STANDING: 0.4, WC.HEAVY_LIFTING: 0.35, WC.NIGHT_SHIFTS: 0.3,
            WC.CUSTOMER_CONTACT: 0.5, WC.HIGH_PACE: 0.3, WC.DRIVING: 0.15,
        },
        tasks_da=(
            "Du hjælper beboerne med personlig pleje, måltider og aktiviteter i hverdagen.",
            "Du kører ud til borgere i eget hjem og hjælper med praktiske opgaver og pleje.",
            "Du skaber gode stunder for beboerne og samarbejder tæt med sygeplejersker og terapeuter.",
        ),
        wish_texts_da=(
            "Jeg vil gerne hjælpe ældre mennesker.",
            "Jeg har passet min mor og kunne godt tænke mig at arbejde med pleje.",
            "Noget med mennesker, hvor jeg gør en forskel.",
            "Jeg vil gerne være social- og sundhedshjælper.",
        ),
        sentence_keywords=("beboer", "pleje", "omsorg"),
        mentor_rate=0.6,
    ),
    Sector(
        key="kitchen",
        label_da="køkken, café og restaurant",
        weight=10,
        business_types=(
            BusinessType(
                "5610",
                ("Café {first}", "Restaurant {place}", "{town} Kro", "Pizzeria {italian}"),
                {"5120": 2, "9412": 3, "5131": 2, "5132": 1, "9411": 1},
                "Vi er et travlt spisested med frokost- og aftenservering og et ungt, hjælpsomt personale.",
            ),
            BusinessType(
                "5629",
                ("Kantinen hos {surname} {suffix}", "{region} Storkøkken {suffix}"),
                {"5120": 3, "9412": 4},
                "Vi laver mad til kantiner og institutioner med fokus på økologi og faste arbejdstider.",
            ),
            BusinessType(
                "1071",
                ("{surname}s Bageri", "{town} Bageri", "Bageriet på {street}"),
                {"7512": 4, "5230": 1, "9412": 1},
                "Vi er et håndværksbageri med egen butik, hvor dagen starter tidligt.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.6, PD.HIGH: 0.4},
        conditions={
            WC.MOSTLY_STANDING: 0.8, WC.HIGH_PACE: 0.55, WC.REPETITIVE_WORK: 0.35, WC.NOISY_ENVIRONMENT: 0.35,
            WC.CUSTOMER_CONTACT: 0.4, WC.HEAVY_LIFTING: 0.2, WC.FINE_HAND_WORK: 0.15, WC.NIGHT_SHIFTS: 0.1,
        },
        tasks_da=(
            "Du hjælper med madlavning, anretning og opvask.",
            "Opgaverne er forberedelse af råvarer, servering og rengøring af køkkenet.",
            "Du bager brød og kager og hjælper i butikken om morgenen.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde i et køkken.",
            "Jeg elsker at lave mad.",
            "Café eller restaurant, gerne med kolleger i min egen alder.",
            "Jeg vil gerne være bager.",
        ),
        sentence_keywords=("bager", "køkken", "brød"),
        mentor_rate=0.4,
    ),
    Sector(
        key="transport",
        label_da="transport og kørsel",
        weight=7,
        business_types=(
            BusinessType(
                "4941",
                ("{surname} Vognmandsforretning {suffix}", "{surname} Transport {suffix}"),
                {"8332": 3, "8322": 2, "9333": 1},
                "Vi er et vognmandsfirma med lastbiler og varevogne, der kører for faste kunder.",
            ),
            BusinessType(
                "4932",
                ("{town} Taxa", "{region} Patientbefordring {suffix}"),
                {"8322": 4},
                "Vi kører taxa og siddende patientbefordring i døgndrift.",
            ),
            BusinessType(
                "5320",
                ("{town} Budservice {suffix}", "{region} Pakkeudbringning {suffix}"),
                {"8322": 3, "9331": 1, "9333": 1},
                "Vi bringer pakker og varer ud til private og virksomheder.",
            ),
            BusinessType(
                "4931",
                ("{region} Bus {suffix}",),
                {"8331": 4},
                "Vi kører bybusser og regionale ruter for trafikselskabet.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.7, PD.LOW: 0.3},
        conditions={
            WC.DRIVING: 0.95, WC.MOSTLY_SITTING: 0.6, WC.HEAVY_LIFTING: 0.3, WC.CUSTOMER_CONTACT: 0.35,
            WC.NIGHT_SHIFTS: 0.2, WC.HIGH_PACE: 0.3,
        },
        tasks_da=(
            "Du kører faste ruter og leverer varer til kunderne.",
            "Du kører borgere til og fra behandling og hjælper dem ind og ud af bilen.",
            "Opgaverne er udbringning af pakker, scanning og kontakt med modtagerne.",
        ),
        wish_texts_da=(
            "Jeg kan godt lide at køre bil.",
            "Jeg vil gerne være chauffør.",
            "Noget hvor jeg er på farten og ikke sidder stille på et kontor.",
        ),
        sentence_keywords=("kørsel", "chauffør", "disponering"),
        mentor_rate=0.3,
    ),
    Sector(
        key="construction",
        label_da="byggeri og håndværk",
        weight=9,
        business_types=(
            BusinessType(
                "4120",
                ("{surname} Byg {suffix}", "Tømrerfirmaet {surname} & Søn {suffix}"),
                {"7115": 4, "9313": 2, "7119": 1, "7112": 1},
                "Vi bygger og renoverer huse for private og boligselskaber.",
            ),
            BusinessType(
                "4321",
                ("{surname} El-service {suffix}", "{town} El-installation {suffix}"),
                {"7411": 4},
                "Vi laver el-installationer i nybyggeri og renovering.",
            ),
            BusinessType(
                "4322",
                ("{town} VVS {suffix}", "{surname} VVS og Blik {suffix}"),
                {"7126": 4, "7127": 1},
                "Vi er et VVS-firma med service, badeværelser og varmeanlæg.",
            ),
            BusinessType(
                "4334",
                ("Malerfirmaet {surname} {suffix}", "{town} Malerservice {suffix}"),
                {"7131": 4},
                "Vi maler og tapetserer for private, boligforeninger og erhverv.",
            ),
            BusinessType(
                "4399",
                ("{surname} Murerforretning {suffix}", "{town} Anlæg & Beton {suffix}"),
                {"7112": 3, "7114": 1, "9313": 2},
                "Vi udfører murerarbejde, beton og mindre anlægsopgaver.",
            ),
        ),
        physical_demands={PD.HIGH: 0.8, PD.MEDIUM: 0.2},
        conditions={
            WC.HEAVY_LIFTING: 0.75, WC.MOSTLY_STANDING: 0.6, WC.NOISY_ENVIRONMENT: 0.5, WC.MUCH_WALKING: 0.3,
            WC.FINE_HAND_WORK: 0.3, WC.REPETITIVE_WORK: 0.2, WC.DRIVING: 0.2,
        },
        tasks_da=(
            "Du hjælper vores svende på byggepladsen og lærer faget fra bunden.",
            "Opgaverne er klargøring af materialer, oprydning og enkle håndværksopgaver.",
            "Du arbejder i et sjak og er med på renoveringsopgaver hos kunderne.",
        ),
        wish_texts_da=(
            "Jeg vil gerne bruge mine hænder.",
            "Noget udendørs og praktisk, gerne på en byggeplads.",
            "Jeg har arbejdet som håndværker og vil gerne tilbage til faget.",
            "Jeg vil gerne i lære som tømrer.",
        ),
        sentence_keywords=("håndværk", "tegningslæsning"),
        mentor_rate=0.35,
    ),
    Sector(
        key="manufacturing",
        label_da="industri og produktion",
        weight=10,
        business_types=(
            BusinessType(
                "2511",
                ("{town} Metal {suffix}", "{surname} Maskinfabrik {suffix}", "{town} Smedeværksted {suffix}"),
                {"7212": 3, "7213": 2, "7223": 2, "8121": 1, "9329": 2, "7543": 1},
                "Vi er underleverandør til industrien og skærer, bukker og svejser emner i stål og aluminium.",
            ),
            BusinessType(
                "1013",
                ("{region} Fødevarer {suffix}", "{town} Slagteri {suffix}", "{surname} Pålægsfabrik {suffix}"),
                {"8160": 3, "9329": 2, "7543": 0.5},
                "Vi producerer fødevarer til danske supermarkeder på en moderne fabrik med skiftehold.",
            ),
            BusinessType(
                "3109",
                ("{surname} Snedkeri {suffix}", "{town} Møbelfabrik {suffix}"),
                {"7522": 4, "9329": 1},
                "Vi fremstiller møbler og inventar i massivt træ.",
            ),
            BusinessType(
                "2229",
                ("{town} Plast {suffix}", "{region} Emballage {suffix}"),
                {"8219": 2, "9329": 2, "7543": 1},
                "Vi producerer plastemner og emballage på automatiserede linjer.",
            ),
            BusinessType(
                "4520",
                ("{town} Autoværksted", "{surname}s Auto {suffix}"),
                {"7231": 4, "9122": 0.5},
                "Vi er et frit autoværksted med service og reparation af alle bilmærker.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.55, PD.HIGH: 0.45},
        conditions={
            WC.MOSTLY_STANDING: 0.7, WC.REPETITIVE_WORK: 0.55, WC.NOISY_ENVIRONMENT: 0.55, WC.HEAVY_LIFTING: 0.35,
            WC.FINE_HAND_WORK: 0.35, WC.HIGH_PACE: 0.35, WC.NIGHT_SHIFTS: 0.25,
        },
        tasks_da=(
            "Du betjener maskiner på produktionslinjen og kontrollerer kvaliteten.",
            "Opgaverne er montage, pakning og klargøring af emner.",
            "Du indgår i et skiftehold og hjælper med at holde produktionen kørende.",
        ),
        wish_texts_da=(
            "Gerne fabriksarbejde med faste rutiner.",
            "Jeg kan godt lide at arbejde med maskiner.",
            "Jeg vil gerne være svejser eller smed.",
            "Noget med hænderne, hvor jeg kan se hvad jeg har lavet.",
        ),
        sentence_keywords=("smed", "svejs", "industri", "robot", "produktion", "kvalitetsbevidst"),
        mentor_rate=0.45,
    ),
    Sector(
        key="office",
        label_da="kontor og administration",
        weight=8,
        business_types=(
            BusinessType(
                "6920",
                ("{surname} & {surname2} Revision {suffix}", "{town} Bogføring {suffix}"),
                {"4311": 3, "4110": 2, "4313": 1},
                "Vi er et revisions- og bogføringsfirma for mindre virksomheder.",
            ),
            BusinessType(
                "8411",
                ("{kommune} Kommune, Borgerservice", "{kommune} Kommune, Administration"),
                {"4110": 3, "4226": 2, "4120": 1, "4132": 1},
                "Borgerservice hjælper borgerne med pas, kørekort, ydelser og digital selvbetjening.",
                municipal=True,
            ),
            BusinessType(
                "8220",
                ("Kundecenter {region} {suffix}", "{surname} Kontorservice {suffix}"),
                {"4222": 3, "4110": 2, "4132": 1},
                "Vi besvarer telefoner og mails for vores kunder og løser administrative opgaver.",
            ),
            BusinessType(
                "6910",
                ("Advokatfirmaet {surname} & {surname2}",),
                {"4120": 3, "4226": 1, "4110": 1},
                "Vi er et advokatfirma med fokus på erhvervsret og fast ejendom.",
            ),
        ),
        physical_demands={PD.LOW: 0.9, PD.MEDIUM: 0.1},
        conditions={WC.MOSTLY_SITTING: 0.9, WC.CUSTOMER_CONTACT: 0.45, WC.REPETITIVE_WORK: 0.25, WC.HIGH_PACE: 0.2},
        tasks_da=(
            "Du tager telefonen, registrerer sager og hjælper med den daglige administration.",
            "Opgaverne er bogføring, fakturering og arkivering.",
            "Du betjener borgere i skranken og hjælper med digitale løsninger.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde på et kontor.",
            "Noget stille arbejde ved en computer.",
            "Jeg er god til tal og vil gerne lave bogføring.",
            "Administrativt arbejde, gerne på nedsat tid.",
        ),
        sentence_keywords=("edb", "administrat", "selvstændigt"),
        mentor_rate=0.4,
    ),
    Sector(
        key="it",
        label_da="it",
        weight=4,
        business_types=(
            BusinessType(
                "6201",
                ("{word}Data {suffix}", "{surname} IT {suffix}", "{town} Digital {suffix}"),
                {"2512": 2, "2513": 2, "3512": 3, "3511": 1},
                "Vi udvikler og drifter it-løsninger for små og mellemstore virksomheder.",
            ),
            BusinessType(
                "6209",
                ("{region} IT-support {suffix}",),
                {"3512": 4},
                "Vi leverer it-support og opsætning af computere til erhverv og skoler.",
            ),
        ),
        physical_demands={PD.LOW: 1.0},
        conditions={WC.MOSTLY_SITTING: 0.95, WC.CUSTOMER_CONTACT: 0.3, WC.HIGH_PACE: 0.2},
        tasks_da=(
            "Du hjælper brugerne med it-problemer og opsætning af udstyr.",
            "Opgaverne er udvikling, test og vedligeholdelse af vores systemer.",
            "Du indgår i et lille team og får ansvar for egne opgaver fra første dag.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde med computere.",
            "Jeg har programmeret i min fritid og vil gerne gøre det til et job.",
            "It-support eller noget med teknik.",
        ),
        sentence_keywords=("edb", "teknologi"),
        mentor_rate=0.35,
    ),
    Sector(
        key="agriculture",
        label_da="landbrug og dyr",
        weight=5,
        business_types=(
            BusinessType(
                "0146",
                ("{place}gård", "{surname}s Landbrug I/S"),
                {"6121": 2, "9212": 3, "6130": 2, "9211": 1},
                "Vi er et familielandbrug med dyr og planteavl og har altid travlt i stalden.",
            ),
            BusinessType(
                "7500",
                ("{place} Dyreklinik", "Dyrlægerne i {town}"),
                {"5164": 3, "4226": 1},
                "Vi er en dyreklinik for hunde, katte og andre kæledyr.",
            ),
            BusinessType(
                "9609",
                ("{place} Dyrepension", "{town} Hundepension"),
                {"5164": 3},
                "Vi passer hunde og katte, mens ejerne er på ferie.",
            ),
            BusinessType(
                "9319",
                ("{town} Rideskole", "{place} Hestecenter"),
                {"5164": 2, "9212": 2},
                "Vi er en rideskole med heste, ponyer og mange glade ryttere.",
            ),
        ),
        physical_demands={PD.HIGH: 0.65, PD.MEDIUM: 0.35},
        conditions={
            WC.HEAVY_LIFTING: 0.5, WC.MUCH_WALKING: 0.6, WC.MOSTLY_STANDING: 0.4, WC.DRIVING: 0.25,
            WC.NOISY_ENVIRONMENT: 0.15,
        },
        tasks_da=(
            "Du hjælper med fodring, udmugning og pasning af dyrene.",
            "Opgaverne er at passe dyrene, gøre rent i boksene og hjælpe til i marken.",
            "Du lufter hunde, gør rent og hjælper med at tage imod kunderne.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde med dyr.",
            "Noget udendørs, ikke for mange mennesker.",
            "Jeg har altid haft heste og vil gerne arbejde i en stald.",
            "Landbrug, gerne med køer eller grise.",
        ),
        sentence_keywords=("dyr", "stald"),
        mentor_rate=0.5,
    ),
    Sector(
        key="gardening",
        label_da="gartneri og grønne områder",
        weight=5,
        business_types=(
            BusinessType(
                "8130",
                ("{surname} Anlægsgartner {suffix}", "{town} Have & Anlæg {suffix}"),
                {"6113": 3, "9214": 4},
                "Vi anlægger og passer haver, parker og grønne områder for private og boligforeninger.",
            ),
            BusinessType(
                "8130",
                ("{kommune} Kommune, Vej og Park",),
                {"9214": 3, "6113": 2, "9313": 1},
                "Vej og Park passer kommunens parker, kirkegårde og grønne arealer.",
                municipal=True,
            ),
            BusinessType(
                "0130",
                ("{place} Gartneri", "{town} Planteskole"),
                {"9214": 3, "6113": 2, "9211": 1},
                "Vi dyrker planter og grøntsager i drivhuse og på friland.",
            ),
        ),
        physical_demands={PD.HIGH: 0.6, PD.MEDIUM: 0.4},
        conditions={
            WC.MUCH_WALKING: 0.6, WC.HEAVY_LIFTING: 0.45, WC.MOSTLY_STANDING: 0.4, WC.REPETITIVE_WORK: 0.3,
            WC.NOISY_ENVIRONMENT: 0.2, WC.DRIVING: 0.2,
        },
        tasks_da=(
            "Du slår græs, beskærer buske og holder bede og stier pæne.",
            "Opgaverne er plantning, lugning og vanding i drivhusene.",
            "Du arbejder udendørs i et lille hold og bruger både håndværktøj og maskiner.",
        ),
        wish_texts_da=(
            "Noget udendørs, ikke for mange mennesker.",
            "Jeg vil gerne arbejde med planter.",
            "Jeg har det bedst, når jeg er ude i frisk luft.",
            "Gartner eller noget med have og park.",
        ),
        sentence_keywords=("udeliv", "udendørs", "vejr"),
        mentor_rate=0.45,
    ),
    Sector(
        key="childcare",
        label_da="børn og pædagogik",
        weight=7,
        business_types=(
            BusinessType(
                "8891",
                ("{kommune} Kommune, Børnehuset {place}", "Vuggestuen {animal}", "Den Private Børnehave {place}"),
                {"5311": 3, "2342": 2, "9412": 0.5},
                "Vi er et børnehus med vuggestue og børnehave, hvor leg, nærvær og udeliv fylder meget.",
                municipal=True,
            ),
            BusinessType(
                "8520",
                ("{place} Skole og SFO", "{kommune} Kommune, {place}skolen"),
                {"5312": 3, "5311": 1, "9112": 0.5},
                "Vi er en folkeskole med SFO og et stærkt samarbejde mellem lærere og pædagoger.",
                municipal=True,
            ),
        ),
        physical_demands={PD.MEDIUM: 0.8, PD.LOW: 0.2},
        conditions={
            WC.MOSTLY_STANDING: 0.4, WC.MUCH_WALKING: 0.4, WC.NOISY_ENVIRONMENT: 0.65, WC.CUSTOMER_CONTACT: 0.4,
            WC.HEAVY_LIFTING: 0.2,
        },
        tasks_da=(
            "Du er med i hverdagen på stuen, leger med børnene og hjælper ved måltiderne.",
            "Du støtter eleverne i undervisningen og er med i SFO om eftermiddagen.",
            "Opgaverne er aktiviteter, udeliv og omsorg for børnene.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde med børn.",
            "Jeg har været dagplejer og savner børnene.",
            "Noget med børn eller unge, gerne i en børnehave.",
        ),
        sentence_keywords=("børn", "pædagog", "vuggestue", "elever"),
        mentor_rate=0.55,
    ),
    Sector(
        key="health",
        label_da="sundhed",
        weight=5,
        business_types=(
            BusinessType(
                "8621",
                ("Lægehuset {town}", "Lægerne {surname} & {surname2}"),
                {"3256": 3, "4226": 2},
                "Vi er en lægepraksis med tre læger, sygeplejerske og sekretærer.",
            ),
            BusinessType(
                "8623",
                ("Tandlægerne {surname} & {surname2}", "Tandklinikken {place}"),
                {"3251": 3, "4226": 1},
                "Vi er en tandklinik med fokus på tryghed for både børn og voksne patienter.",
            ),
            BusinessType(
                "8610",
                ("{region}s Hospital, Serviceafdelingen",),
                {"5329": 3, "9112": 2, "5321": 1},
                "Serviceafdelingen står for portørarbejde, rengøring og sterilcentral på hospitalet.",
            ),
        ),
        physical_demands={PD.MEDIUM: 0.6, PD.LOW: 0.4},
        conditions={
            WC.CUSTOMER_CONTACT: 0.6, WC.MOSTLY_STANDING: 0.4, WC.MUCH_WALKING: 0.4, WC.FINE_HAND_WORK: 0.3,
            WC.HIGH_PACE: 0.3, WC.MOSTLY_SITTING: 0.2,
        },
        tasks_da=(
            "Du tager imod patienter, klargør behandlingsrum og hjælper i klinikken.",
            "Opgaverne er sterilisering af instrumenter, bestilling af varer og patientkontakt.",
            "Du transporterer patienter og udstyr rundt på hospitalet.",
        ),
        wish_texts_da=(
            "Jeg vil gerne arbejde i sundhedsvæsenet.",
            "Noget med patienter, gerne på en klinik.",
            "Jeg har tidligere været portør og vil gerne tilbage.",
        ),
        sentence_keywords=("patient", "sundhed"),
        mentor_rate=0.5,
    ),
)

SECTOR_BY_KEY: dict[str, Sector] = {sector.key: sector for sector in SECTORS}

# Openings any kind of company may have besides its own trade (share of openings, sector, ISCO groups).
CROSS_SECTOR_SHARE = 0.12
CROSS_SECTOR_GROUPS: tuple[tuple[str, dict[str, float]], ...] = (
    ("office", {"4110": 3, "4226": 1}),
    ("cleaning", {"9112": 3}),
    ("warehouse", {"9333": 2, "4321": 1}),
)

# Work conditions that belong to particular ISCO groups whatever the trade (drivers drive).
GROUP_CONDITIONS: dict[str, tuple[WorkCondition, ...]] = {
    "8344": (WC.DRIVING,),
    "8322": (WC.DRIVING, WC.MOSTLY_SITTING),
    "8331": (WC.DRIVING, WC.MOSTLY_SITTING, WC.CUSTOMER_CONTACT),
    "8332": (WC.DRIVING, WC.MOSTLY_SITTING),
    "5230": (WC.CUSTOMER_CONTACT, WC.REPETITIVE_WORK),
    "4110": (WC.MOSTLY_SITTING,),
    "4120": (WC.MOSTLY_SITTING,),
    "4311": (WC.MOSTLY_SITTING,),
    "4313": (WC.MOSTLY_SITTING,),
    "4132": (WC.MOSTLY_SITTING, WC.REPETITIVE_WORK),
    "4222": (WC.MOSTLY_SITTING, WC.CUSTOMER_CONTACT),
    "4226": (WC.CUSTOMER_CONTACT,),
    "2512": (WC.MOSTLY_SITTING,),
    "2513": (WC.MOSTLY_SITTING,),
    "3512": (WC.MOSTLY_SITTING,),
    "9333": (WC.HEAVY_LIFTING,),
    "9321": (WC.REPETITIVE_WORK,),
    "7212": (WC.NOISY_ENVIRONMENT, WC.FINE_HAND_WORK),
}
# Conditions that contradict each other in one opening: keep the first, drop the second.
EXCLUSIVE_CONDITIONS: tuple[tuple[WorkCondition, WorkCondition], ...] = (
    (WC.MOSTLY_SITTING, WC.MOSTLY_STANDING),
    (WC.DRIVING, WC.MOSTLY_STANDING),
)

# ----- Danish names and words -----

FIRST_NAMES_DA: tuple[str, ...] = (
    "Anne", "Mette", "Kirsten", "Hanne", "Helle", "Susanne", "Lene", "Maria", "Camilla", "Louise", "Charlotte",
    "Pia", "Tina", "Line", "Sofie", "Emma", "Ida", "Julie", "Sara", "Laura", "Fatima", "Amina", "Aisha",
    "Peter", "Jens", "Michael", "Lars", "Henrik", "Thomas", "Søren", "Jan", "Niels", "Morten", "Martin",
    "Rasmus", "Jesper", "Anders", "Mads", "Kasper", "Frederik", "Mikkel", "Christian", "Ali", "Mohammad",
    "Ahmed", "Omar", "Piotr", "Tomasz", "Bo", "Kim", "Jannik", "Birgitte", "Dorthe", "Karina", "Rikke",
)
SURNAMES_DA: tuple[str, ...] = (
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
    "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen",
    "Møller", "Mortensen", "Knudsen", "Jakobsen", "Mikkelsen", "Frederiksen", "Holm", "Lund", "Schmidt",
    "Eriksen", "Laursen", "Nørgaard", "Bach", "Dahl", "Kjær", "Østergaard", "Vestergaard", "Skov", "Bertelsen",
    "Ahmed", "Hussein", "Yilmaz", "Nguyen", "Kowalski", "Ali", "Iversen", "Brandt", "Toft", "Winther",
)
PLACE_WORDS_DA: tuple[str, ...] = (
    "Solsikken", "Egebo", "Lindegården", "Bøgely", "Skovbrynet", "Åbrinken", "Møllehuset", "Fyrrelunden",
    "Engly", "Kastaniegården", "Birkely", "Rosenhaven", "Havgården", "Stjernen", "Regnbuen", "Kløverbakken",
    "Bakkehuset", "Søhuset", "Nørremarken", "Vestervang", "Højvang", "Solgården", "Elmehøj", "Toftegården",
)
ANIMAL_WORDS_DA: tuple[str, ...] = ("Mariehønen", "Sommerfuglen", "Myretuen", "Bikuben", "Spurven", "Pindsvinet")
ITALIAN_WORDS: tuple[str, ...] = ("Roma", "Napoli", "Milano", "Bella Vista", "Da Marco", "Toscana", "Venezia")
TECH_WORDS: tuple[str, ...] = ("Nord", "Bit", "Fjord", "Klar", "Lyn", "Kerne", "Skyen", "Tal")
DISTRICT_WORDS_DA: tuple[str, ...] = ("Nord", "Syd", "Øst", "Vest", "Centrum", "Land")
REGION_WORDS_DA: dict[str, tuple[str, ...]] = {  # by the region column of core/data/kommuner.csv
    "Region Hovedstaden": ("Hovedstaden", "Storkøbenhavn", "Nordsjælland", "Øresund"),
    "Region Sjælland": ("Sjælland", "Midtsjælland", "Vestsjælland", "Sydsjælland"),
    "Region Syddanmark": ("Fyn", "Sønderjylland", "Sydjylland", "Trekantområdet"),
    "Region Midtjylland": ("Østjylland", "Midtjylland", "Vestjylland", "Djursland"),
    "Region Nordjylland": ("Nordjylland", "Vendsyssel", "Himmerland", "Limfjorden"),
}
DEFAULT_REGION_WORDS_DA: tuple[str, ...] = ("Danmark", "Nordisk", "Dansk")
STREET_NAMES_DA: tuple[str, ...] = (
    "Hovedgaden", "Storegade", "Industrivej", "Møllevej", "Skolevej", "Kirkevej", "Stationsvej", "Vestergade",
    "Østergade", "Nørregade", "Søndergade", "Havnevej", "Erhvervsvej", "Engvej", "Bøgevej", "Lindevej",
    "Parkvej", "Fabriksvej", "Teglværksvej", "Gartnervej", "Elmevej", "Birkevej", "Markvej", "Smedevej",
)
COMPANY_SUFFIXES: tuple[tuple[str, float], ...] = (("ApS", 0.55), ("A/S", 0.2), ("I/S", 0.05), ("", 0.2))

# ----- Citizens -----

TARGET_GROUP_SHARES: dict[TargetGroup, float] = {
    TargetGroup.DAGPENGE: 0.35,
    TargetGroup.KONTANTHJAELP: 0.25,
    TargetGroup.SYGEDAGPENGE: 0.12,
    TargetGroup.UDDANNELSESHJAELP: 0.08,
    TargetGroup.RESSOURCEFORLOEB: 0.07,
    TargetGroup.LEDIGHEDSYDELSE: 0.07,
    TargetGroup.JOBAFKLARING: 0.06,
}

# Chance that a citizen in the target group has functional limitations at all.
LIMITATION_RATE: dict[TargetGroup, float] = {
    TargetGroup.DAGPENGE: 0.06,
    TargetGroup.KONTANTHJAELP: 0.2,
    TargetGroup.UDDANNELSESHJAELP: 0.12,
    TargetGroup.SYGEDAGPENGE: 0.6,
    TargetGroup.JOBAFKLARING: 0.75,
    TargetGroup.RESSOURCEFORLOEB: 0.7,
    TargetGroup.LEDIGHEDSYDELSE: 0.85,
}
LIMITATION_WEIGHTS: dict[Limitation, float] = {
    Limitation.NO_HEAVY_LIFTING: 5,
    Limitation.REDUCED_STAMINA: 4,
    Limitation.LIMITED_STANDING: 3,
    Limitation.NO_REPETITIVE_STRAIN: 3,
    Limitation.NEEDS_QUIET_ENVIRONMENT: 3,
    Limitation.LIMITED_WALKING: 2,
    Limitation.NO_NIGHT_SHIFTS: 2,
    Limitation.LIMITED_CUSTOMER_CONTACT: 2,
    Limitation.LIMITED_SITTING: 1.5,
    Limitation.LIMITED_HAND_USE: 1,
    Limitation.NO_DRIVING: 1,
}
# Chance of each need per target group band: (ordinary groups, vulnerable groups).
NEED_RATES: dict[Need, tuple[float, float]] = {
    Need.MENTOR: (0.08, 0.45),
    Need.GRADUAL_START: (0.05, 0.5),
    Need.REDUCED_HOURS: (0.03, 0.35),
    Need.FLEXIBLE_HOURS: (0.06, 0.25),
    Need.QUIET_WORKSPACE: (0.03, 0.15),
    Need.ADAPTED_WORKSTATION: (0.02, 0.12),
    Need.LANGUAGE_SUPPORT: (0.06, 0.06),
}
VULNERABLE_GROUPS: frozenset[TargetGroup] = frozenset({
    TargetGroup.SYGEDAGPENGE, TargetGroup.JOBAFKLARING, TargetGroup.RESSOURCEFORLOEB,
    TargetGroup.LEDIGHEDSYDELSE,
})
EDUCATION_WEIGHTS: dict[TargetGroup, dict[EducationLevel, float]] = {
    TargetGroup.DAGPENGE: {
        EducationLevel.PRIMARY: 10, EducationLevel.UPPER_SECONDARY: 10, EducationLevel.VOCATIONAL: 35,
        EducationLevel.SHORT_CYCLE: 12, EducationLevel.BACHELOR: 20, EducationLevel.MASTER: 12,
        EducationLevel.PHD: 1,
    },
    TargetGroup.KONTANTHJAELP: {
        EducationLevel.NONE: 12, EducationLevel.PRIMARY: 45, EducationLevel.UPPER_SECONDARY: 12,
        EducationLevel.VOCATIONAL: 22, EducationLevel.SHORT_CYCLE: 4, EducationLevel.BACHELOR: 4,
        EducationLevel.MASTER: 1,
    },
    TargetGroup.UDDANNELSESHJAELP: {
        EducationLevel.NONE: 10, EducationLevel.PRIMARY: 70, EducationLevel.UPPER_SECONDARY: 20,
    },
}
DEFAULT_EDUCATION_WEIGHTS: dict[EducationLevel, float] = {
    EducationLevel.NONE: 4, EducationLevel.PRIMARY: 30, EducationLevel.UPPER_SECONDARY: 10,
    EducationLevel.VOCATIONAL: 35, EducationLevel.SHORT_CYCLE: 8, EducationLevel.BACHELOR: 10,
    EducationLevel.MASTER: 3,
}
# (hours_min range, hours_max range) per target group.
HOURS_BY_TARGET_GROUP: dict[TargetGroup, tuple[tuple[int, int], tuple[int, int]]] = {
    TargetGroup.DAGPENGE: ((25, 37), (37, 37)),
    TargetGroup.KONTANTHJAELP: ((15, 37), (30, 37)),
    TargetGroup.UDDANNELSESHJAELP: ((15, 30), (30, 37)),
    TargetGroup.SYGEDAGPENGE: ((6, 20), (15, 37)),
    TargetGroup.JOBAFKLARING: ((4, 12), (10, 25)),
    TargetGroup.RESSOURCEFORLOEB: ((4, 12), (8, 20)),
    TargetGroup.LEDIGHEDSYDELSE: ((6, 15), (12, 25)),
}
COMMUTE_CHOICES_KM: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40, 50, 60)
COMMUTE_WEIGHTS_ORDINARY: tuple[float, ...] = (2, 6, 10, 14, 16, 14, 10, 5, 3)
COMMUTE_WEIGHTS_VULNERABLE: tuple[float, ...] = (8, 14, 14, 12, 8, 4, 2, 1, 0.5)

GENERAL_WISH_TEXTS_DA: tuple[str, ...] = (
    "Jeg vil bare gerne i gang igen.",
    "Helst en arbejdsplads med gode kolleger.",
    "Jeg vil gerne have faste arbejdstider.",
    "Det vigtigste for mig er at komme ud blandt andre mennesker.",
    "Gerne tæt på hvor jeg bor, jeg har ikke bil.",
    "Jeg vil gerne prøve noget nyt.",
    "Jeg vil gerne lære noget, der kan føre til en uddannelse.",
)
NEED_WISH_TEXTS_DA: dict[Need, str] = {
    Need.GRADUAL_START: "Jeg skal starte stille og roligt op med få timer.",
    Need.MENTOR: "Det vil hjælpe mig at have en fast person at gå til.",
    Need.REDUCED_HOURS: "Jeg kan ikke klare fuld tid lige nu.",
    Need.QUIET_WORKSPACE: "Helst et sted med ro, jeg bliver hurtigt træt af larm.",
    Need.LANGUAGE_SUPPORT: "Jeg er ved at lære dansk og vil gerne øve mig på jobbet.",
    Need.FLEXIBLE_HOURS: "Jeg har brug for lidt fleksibilitet i mødetiderne.",
    Need.ADAPTED_WORKSTATION: "Jeg har brug for en arbejdsplads, der kan indrettes til mig.",
}
LIMITATION_WISH_TEXTS_DA: dict[Limitation, str] = {
    Limitation.NO_HEAVY_LIFTING: "Helst ikke tunge løft.",
    Limitation.LIMITED_STANDING: "Jeg kan ikke stå op hele dagen.",
    Limitation.LIMITED_CUSTOMER_CONTACT: "Ikke for mange mennesker, helst ikke kundekontakt.",
    Limitation.NO_NIGHT_SHIFTS: "Kun dagarbejde, ingen nattevagter.",
    Limitation.REDUCED_STAMINA: "Jeg bliver hurtigt træt, så tempoet må ikke være for højt.",
}

# Statuses and outcomes.
OPENING_STATUS_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("open", 0.8), ("paused", 0.07), ("filled", 0.08), ("closed", 0.05),
)
SCHEME_DESCRIPTIONS_DA: dict[Scheme, str] = {
    Scheme.ORDINARY: "Stillingen kan besættes som ordinært job.",
    Scheme.INTERNSHIP: "Vi tager gerne en borger i virksomhedspraktik for at prøve jobbet af.",
    Scheme.WAGE_SUBSIDY: "Stillingen kan besættes med løntilskud.",
    Scheme.FLEXJOB: "Stillingen er et fleksjob med få timer om ugen og hensyn til den enkelte.",
}
AGE_BANDS: tuple[tuple[str, float], ...] = (
    ("18-24", 0.12), ("25-29", 0.13), ("30-39", 0.2), ("40-49", 0.2), ("50-59", 0.22), ("60+", 0.13),
)
YOUNG_AGE_BANDS: tuple[tuple[str, float], ...] = (("18-24", 0.6), ("25-29", 0.4))
GENDERS: tuple[tuple[str, float], ...] = (("female", 0.49), ("male", 0.5), ("other", 0.01))
