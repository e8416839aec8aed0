-- Back to no statistics (measured ones included).
DELETE FROM sqlite_stat1;
