DROP INDEX appointments_provider_status;
DROP TRIGGER client_phone_search_delete;
DROP TRIGGER client_phone_search_update;
DROP TRIGGER client_phone_search_insert;
DROP TABLE client_phone_search;
DROP INDEX clients_open_risk_alert;
