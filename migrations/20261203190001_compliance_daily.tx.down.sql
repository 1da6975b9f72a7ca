DROP TABLE compliance_daily;
