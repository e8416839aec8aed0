//! The two migration trees (`migrations/postgres`, `migrations/sqlite`) may differ in types,
//! indexes and keys, but must leave the same tables and columns: one `schema.rs` and one
//! set of queries serve both.

use tidings_store::testing::{Backend, TestDatabase, columns};

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
