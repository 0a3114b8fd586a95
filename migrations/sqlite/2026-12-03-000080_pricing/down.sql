DROP TABLE client_plans;
DROP TABLE payer_rates;
ALTER TABLE services DROP COLUMN rate_updated_at;
ALTER TABLE services DROP COLUMN rate_cents;
