-- Production's audit trail names real users and what they looked at.
TRUNCATE TABLE audit_log;
