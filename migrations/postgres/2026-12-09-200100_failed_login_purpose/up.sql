-- What an attempt counts against: a sign-in (or a wrong current password) or an ask for a
-- password reset link. Each has its own per-address budget, so asking for links never
-- pauses a correct sign-in.
ALTER TABLE failed_logins ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign_in';
UPDATE failed_logins SET purpose = 'reset_ask' WHERE email_normalized LIKE 'reset:%';
CREATE INDEX failed_logins_purpose_ip ON failed_logins (purpose, ip, attempted_at);
