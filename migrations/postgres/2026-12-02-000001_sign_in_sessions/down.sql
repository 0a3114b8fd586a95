DROP INDEX failed_logins_attempted;
DROP INDEX failed_logins_ip;
DROP INDEX failed_logins_email_ip;
ALTER TABLE failed_logins DROP COLUMN ip;
DROP TABLE sign_in_sessions;
