DROP INDEX failed_logins_purpose_ip;
ALTER TABLE failed_logins DROP COLUMN purpose;
