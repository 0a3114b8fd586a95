DROP INDEX appointments_provider_status;
DROP INDEX IF EXISTS clients_phone_trigrams;
DROP INDEX clients_open_risk_alert;
