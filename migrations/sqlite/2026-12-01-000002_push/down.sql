DROP INDEX users_push_alias_idx;
DROP INDEX user_push_tags_tag_idx;
DROP TABLE push_deliveries;
DROP TABLE push_task_counts;
DROP TABLE push_task_entries;
DROP TABLE push_tasks;
