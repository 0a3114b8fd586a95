-- Pricing: the practice's private-pay rate per service, the allowed (contracted) amount
-- per insurance company and CPT code, and each client's plan. Money is whole cents.
ALTER TABLE services ADD COLUMN rate_cents INTEGER;
ALTER TABLE services ADD COLUMN rate_updated_at TIMESTAMP;

-- Typed from the provider's fee schedule; a payer is named as clients' insurance is, and
-- matched on its name folded to lower case with spaces collapsed (payer_key).
CREATE TABLE payer_rates (
    provider_id TEXT NOT NULL REFERENCES providers(id),
    payer_key TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    cpt_code TEXT NOT NULL,
    allowed_cents INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider_id, payer_key, cpt_code)
);

-- One client's plan, every figure optional (unknown is not zero). The amounts met are as
-- entered on entered_at: confirmed sessions since then count toward them, and a new plan
-- year resets them.
CREATE TABLE client_plans (
    client_id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    copay_cents INTEGER,
    coinsurance_pct INTEGER,
    deductible_cents INTEGER,
    deductible_met_cents INTEGER,
    oop_max_cents INTEGER,
    oop_met_cents INTEGER,
    plan_year_month INTEGER NOT NULL DEFAULT 1,
    plan_year_day INTEGER NOT NULL DEFAULT 1,
    in_network BOOLEAN NOT NULL DEFAULT true,
    reduced_rate_cents INTEGER,
    reduced_rate_reason TEXT,
    entered_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX client_plans_provider ON client_plans (provider_id);
