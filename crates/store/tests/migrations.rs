//! The two migration trees (`migrations/postgres`, `migrations/sqlite`) may differ in types,
//! indexes and keys, but must leave the same tables and columns: one `schema.rs` and one
//! set of queries serve both.

use tidings_store::testing::{Backend, TestDatabase, columns, sqlite_query_plan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_tables_and_columns() -> anyhow::Result<()> {
    let Some(pg) = TestDatabase::create(Backend::Postgres).await? else {
        return Ok(());
    };
    let Some(lite) = TestDatabase::create(Backend::Sqlite).await? else {
        return Ok(());
    };
    let on_pg = columns(&pg.store().await?).await?;
    let on_sqlite = columns(&lite.store().await?).await?;
    let only_pg: Vec<_> = on_pg.difference(&on_sqlite).collect();
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_pg).collect();
    assert!(
        only_pg.is_empty() && only_sqlite.is_empty(),
        "only on PostgreSQL: {only_pg:?}; only on SQLite: {only_sqlite:?}"
    );
    assert!(on_pg.contains(&("messages".into(), "content".into())));
    pg.remove().await?;
    lite.remove().await
}

/// SQLite ships with planner statistics (migration `planner_statistics`): without them it
/// guesses that `app_id = ?` narrows a table to a few rows and walks the whole app through
/// an app-leading index to find a handful of ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_looks_ids_up_by_id_not_through_the_whole_app() -> anyhow::Result<()> {
    let Some(lite) = TestDatabase::create(Backend::Sqlite).await? else {
        return Ok(());
    };
    let store = lite.store().await?;
    for (sql, index) in [
        (
            "SELECT id FROM messages WHERE app_id = ? AND id IN (?, ?, ?)",
            "sqlite_autoindex_messages_1 (id=?)",
        ),
        (
            "SELECT id FROM users WHERE app_id = ? AND id IN (?, ?, ?)",
            "sqlite_autoindex_users_1 (id=?)",
        ),
        (
            "SELECT id FROM chat_groups WHERE app_id = ? AND id IN (?, ?)",
            "sqlite_autoindex_chat_groups_1 (id=?)",
        ),
        (
            "SELECT user_id FROM devices WHERE app_id = ? AND user_id IN (?, ?)",
            "sqlite_autoindex_devices_1 (user_id=?)",
        ),
        (
            "SELECT id FROM users WHERE app_id = ? AND username = ?",
            "users_username_key (app_id=? AND username=?)",
        ),
    ] {
        let plan = sqlite_query_plan(&store, sql).await?.unwrap_or_default();
        assert!(
            plan.iter().any(|step| step.ends_with(index)),
            "{sql}: {plan:?}"
        );
    }
    lite.remove().await
}
