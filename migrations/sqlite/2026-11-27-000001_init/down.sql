DROP TABLE failed_logins;
DROP TABLE audit_events;
DROP TABLE documents;
DROP TABLE blobs;
DROP TABLE assessment_requests;
DROP TABLE clients;
DROP TABLE providers;
