DROP INDEX appointments_provider_status;
DROP VIEW client_phone_search;
DROP INDEX IF EXISTS clients_phone_trigrams;
DROP INDEX clients_open_risk_alert;
