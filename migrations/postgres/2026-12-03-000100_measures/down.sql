CREATE TABLE assessment_requests (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id),
    instrument TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX assessment_requests_client ON assessment_requests (client_id, instrument);
INSERT INTO assessment_requests (id, client_id, instrument, requested_at)
SELECT MIN(id), client_id, instrument, MIN(created_at) FROM measure_schedules
WHERE frequency = 'once' AND next_send_on IS NOT NULL AND stopped_at IS NULL
  AND instrument IN ('PHQ-9', 'GAD-7')
GROUP BY client_id, instrument;
DROP TABLE risk_alerts;
DROP TABLE assessments;
DROP TABLE assessment_links;
DROP TABLE measure_schedules;
ALTER TABLE clients DROP COLUMN risk_alert_since;
ALTER TABLE providers DROP COLUMN signup_measures;
ALTER TABLE providers DROP COLUMN pcl5_probable_from;
