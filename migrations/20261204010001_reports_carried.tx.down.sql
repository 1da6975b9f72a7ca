ALTER TABLE reports DROP COLUMN carried_at;
