-- The provider's scope in the database itself: a row about a client must name the
-- client's own provider (composite foreign keys to clients (provider_id, id)).
ALTER TABLE clients ADD CONSTRAINT clients_provider_id_id UNIQUE (provider_id, id);
ALTER TABLE practice_forms ADD CONSTRAINT practice_forms_provider_id_id UNIQUE (provider_id, id);
ALTER TABLE documents ADD CONSTRAINT documents_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE client_invitations ADD CONSTRAINT client_invitations_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE outbox_emails ADD CONSTRAINT outbox_emails_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE form_acknowledgments ADD CONSTRAINT form_acknowledgments_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE sign_in_sessions ADD CONSTRAINT sign_in_sessions_client_of_provider FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id);
ALTER TABLE form_acknowledgments ADD CONSTRAINT form_acknowledgments_form_of_provider FOREIGN KEY (provider_id, form_id) REFERENCES practice_forms (provider_id, id);
