DROP TABLE good_faith_requests;
DROP TABLE good_faith_estimates;
ALTER TABLE providers DROP COLUMN billing_address;
ALTER TABLE providers DROP COLUMN tin;
ALTER TABLE providers DROP COLUMN npi;
