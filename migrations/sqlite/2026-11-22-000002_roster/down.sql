DROP TABLE roster_blocks;
DROP TABLE roster_applications;
DROP TABLE roster_entries;
