"""Foundation: jobcentres, postcodes, users and API keys, employers, openings, citizens, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import csv
from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "core" / "data"

SCHEMES = "'ordinary', 'internship', 'wage_subsidy', 'flexjob'"
TARGET_GROUPS = ("'dagpenge', 'kontanthjaelp', 'uddannelseshjaelp', 'ressourceforloeb', 'jobafklaring', "
                 "'sygedagpenge', 'ledighedsydelse'")
LIMITATIONS = ("'no_heavy_lifting', 'no_night_shifts', 'limited_standing', 'limited_walking', "
               "'limited_sitting', 'no_repetitive_strain', 'limited_hand_use', 'needs_quiet_environment', "
               "'limited_customer_contact', 'no_driving', 'reduced_stamina'")
NEEDS = ("'mentor', 'gradual_start', 'reduced_hours', 'flexible_hours', 'quiet_workspace', "
         "'adapted_workstation', 'language_support'")
DEMANDS = "'low', 'medium', 'high'"
EDUCATION = "'none', 'primary', 'upper_secondary', 'vocational', 'short_cycle', 'bachelor', 'master', 'phd'"
CONDITIONS = ("'heavy_lifting', 'night_shifts', 'mostly_standing', 'much_walking', 'mostly_sitting', "
              "'repetitive_work', 'fine_hand_work', 'noisy_environment', 'customer_contact', 'driving', "
              "'high_pace'")
ROLES = "'consultant', 'jobcentre_admin', 'employer', 'admin'"
CPR_LIKE = r"(^|[^0-9])(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}[- ]?[0-9]{4}([^0-9]|$)"

SCHEMA = f"""
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE jobcentres (
    code smallint PRIMARY KEY CHECK (code BETWEEN 100 AND 999),
    name text NOT NULL UNIQUE,
    region text NOT NULL
);

CREATE TABLE postcodes (
    postcode text PRIMARY KEY CHECK (postcode ~ '^[0-9]{{4}}$'),
    name text NOT NULL,
    kommune_code smallint NOT NULL REFERENCES jobcentres (code),
    latitude double precision NOT NULL CHECK (latitude BETWEEN 54 AND 58),
    longitude double precision NOT NULL CHECK (longitude BETWEEN 8 AND 16)
);
CREATE INDEX postcodes_kommune_idx ON postcodes (kommune_code);

CREATE TABLE employers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    external_ref text UNIQUE CHECK (length(external_ref) BETWEEN 1 AND 64),
    cvr text NOT NULL CHECK (cvr ~ '^[1-9][0-9]{{7}}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    industry text CHECK (industry ~ '^[0-9]{{2,6}}$'),
    address text CHECK (length(address) <= 200),
    postcode text NOT NULL REFERENCES postcodes (postcode),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    offers_mentor boolean NOT NULL DEFAULT false,
    offers_reduced_hours boolean NOT NULL DEFAULT false,
    offers_flexible_hours boolean NOT NULL DEFAULT false,
    offers_gradual_start boolean NOT NULL DEFAULT false,
    physical_demands text NOT NULL DEFAULT 'medium' CHECK (physical_demands IN ({DEMANDS})),
    accommodations text[] NOT NULL DEFAULT '{{}}',
    contact jsonb,
    schemes text[] NOT NULL DEFAULT '{{}}' CHECK (schemes <@ ARRAY[{SCHEMES}]),
    capacity integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 0 AND 1000),
    available_from date,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_until date CHECK (paused_until IS NULL OR status = 'paused'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employers_cvr_idx ON employers (cvr);
CREATE INDEX employers_postcode_idx ON employers (postcode);

CREATE TABLE openings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    employer_id uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
    external_ref text UNIQUE CHECK (length(external_ref) BETWEEN 1 AND 64),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    occupation_uri text CHECK (occupation_uri LIKE 'http://data.europa.eu/esco/occupation/%'),
    skills jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(skills) = 'array'),
    schemes text[] NOT NULL CHECK (cardinality(schemes) >= 1 AND schemes <@ ARRAY[{SCHEMES}]),
    hours_min smallint NOT NULL CHECK (hours_min BETWEEN 0 AND 60),
    hours_max smallint NOT NULL CHECK (hours_max BETWEEN 0 AND 60),
    slots integer NOT NULL CHECK (slots BETWEEN 0 AND 1000),
    postcode text NOT NULL REFERENCES postcodes (postcode),
    physical_demands text NOT NULL CHECK (physical_demands IN ({DEMANDS})),
    work_conditions text[] NOT NULL DEFAULT '{{}}' CHECK (work_conditions <@ ARRAY[{CONDITIONS}]),
    start_date date,
    expires_on date,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paused', 'filled', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (hours_min <= hours_max),
    CHECK (expires_on IS NULL OR start_date IS NULL OR expires_on >= start_date)
);
CREATE INDEX openings_employer_idx ON openings (employer_id);
CREATE INDEX openings_status_idx ON openings (status);

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text UNIQUE,
    role text NOT NULL CHECK (role IN ({ROLES})),
    jobcentre_code smallint REFERENCES jobcentres (code),
    employer_id uuid REFERENCES employers (id) ON DELETE CASCADE,
    password_hash text,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (
        (role IN ('consultant', 'jobcentre_admin') AND jobcentre_code IS NOT NULL AND employer_id IS NULL)
        OR (role = 'employer' AND employer_id IS NOT NULL AND jobcentre_code IS NULL)
        OR (role = 'admin' AND jobcentre_code IS NULL AND employer_id IS NULL)
    )
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{{64}}$'),
    prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE citizens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    jobcentre_code smallint NOT NULL REFERENCES jobcentres (code),
    reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 64 AND reference !~ '{CPR_LIKE}'),
    consultant_id uuid REFERENCES users (id) ON DELETE SET NULL,
    postcode text NOT NULL REFERENCES postcodes (postcode),
    target_group text NOT NULL CHECK (target_group IN ({TARGET_GROUPS})),
    skills jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(skills) = 'array'),
    experience jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(experience) = 'array'),
    education_level text CHECK (education_level IN ({EDUCATION})),
    wishes jsonb NOT NULL DEFAULT '{{}}' CHECK (jsonb_typeof(wishes) = 'object'),
    max_commute_km smallint NOT NULL CHECK (max_commute_km BETWEEN 1 AND 300),
    hours_min smallint NOT NULL CHECK (hours_min BETWEEN 0 AND 60),
    hours_max smallint NOT NULL CHECK (hours_max BETWEEN 0 AND 60),
    limitations text[] NOT NULL DEFAULT '{{}}' CHECK (limitations <@ ARRAY[{LIMITATIONS}]),
    limitations_consent boolean NOT NULL DEFAULT false,
    needs text[] NOT NULL DEFAULT '{{}}' CHECK (needs <@ ARRAY[{NEEDS}]),
    schemes text[] NOT NULL DEFAULT '{{}}' CHECK (schemes <@ ARRAY[{SCHEMES}]),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (jobcentre_code, reference),
    CHECK (hours_min <= hours_max),
    CHECK (limitations_consent OR cardinality(limitations) = 0),
    CHECK ('flexjob' <> ALL (schemes) OR target_group = 'ledighedsydelse')
);
CREATE INDEX citizens_jobcentre_idx ON citizens (jobcentre_code, id);
CREATE INDEX citizens_consultant_idx ON citizens (consultant_id);

-- Who read or changed which citizen's data, and when. Never holds the citizen's data itself;
-- on erasure the citizen id is removed from the rows (see citizens.repository.erase).
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id uuid,
    actor_role text NOT NULL,
    action text NOT NULL CHECK (action IN ('read', 'list', 'create', 'update', 'erase', 'import',
                                           'suggest', 'candidates', 'feedback')),
    citizen_id uuid,
    jobcentre_code smallint,
    detail jsonb NOT NULL DEFAULT '{{}}'
);
CREATE INDEX audit_log_citizen_idx ON audit_log (citizen_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
"""


def _seed_rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(SCHEMA)
    jobcentres = ",\n".join(
        f"({int(row['code'])}, {_quote(row['name'])}, {_quote(row['region'])})"
        for row in _seed_rows("kommuner.csv")
    )
    op.execute(f"INSERT INTO jobcentres (code, name, region) VALUES\n{jobcentres};")
    postcodes = ",\n".join(
        f"({_quote(row['postcode'])}, {_quote(row['name'])}, {int(row['kommune_code'])}, "
        f"{float(row['latitude'])}, {float(row['longitude'])})"
        for row in _seed_rows("postcodes.csv")
    )
    op.execute(f"INSERT INTO postcodes (postcode, name, kommune_code, latitude, longitude) VALUES\n{postcodes};")


def downgrade() -> None:
    op.execute("""
        DROP TABLE audit_log, citizens, api_keys, users, openings, employers, postcodes, jobcentres;
    """)
