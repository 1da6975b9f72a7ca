DROP TABLE advisory_suppressions;
DROP TABLE feed_advisories;
DROP TABLE threat_feeds;
