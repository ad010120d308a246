-- app1 UAT: the testers' read-only role, recreated on every refresh (the restore brings production's roles).
CREATE ROLE IF NOT EXISTS app1_uat_readers;
GRANT SELECT ON customers TO app1_uat_readers;
GRANT SELECT ON orders TO app1_uat_readers;
