//! File records (`files`), the parties files ask about, and the server's generated keys.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tidings_files::RepoError;
use tidings_files::cleanup::ObjectDeletion;
use tidings_files::model::{Conversation, FileType, Purpose, StoredFile};
use tidings_files::ports::{FileRepository, Parties, Standing};
use tidings_kernel::jobs::{JobQueue, Leased};
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

use crate::Store;
use crate::db::with_conn;
use crate::error::{files_error as err, unknown};
use crate::in_app;
use crate::schema::{chat_groups, file_deletions, files, group_members, server_keys};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = files)]
struct FileRow {
    id: i64,
    app_id: String,
    sign: String,
    object: String,
    purpose: i64,
    file_type: i64,
    to_type: i64,
    to_id: i64,
    uploader: i64,
    size: i64,
    content_type: String,
    name: String,
    stored: bool,
    created_at: i64,
}

impl FileRow {
    fn of(f: &StoredFile, stored: bool) -> Self {
        let (purpose, file_type, to_type, to_id) = match f.purpose {
            Purpose::Chat { file_type, to } => match to {
                Conversation::User(u) => (0, file_type.code(), 1, u.0),
                Conversation::Group(g) => (0, file_type.code(), 2, g.0),
            },
            Purpose::UserAvatar => (1, 0, 0, 0),
            Purpose::GroupAvatar(g) => (2, 0, 2, g.0),
        };
        Self {
            id: f.id,
            app_id: f.app.as_str().to_owned(),
            sign: f.sign.clone(),
            object: f.object.clone(),
            purpose,
            file_type: i64::from(file_type),
            to_type,
            to_id,
            uploader: f.uploader.0,
            size: i64::try_from(f.size).unwrap_or(i64::MAX),
            content_type: f.content_type.clone(),
            name: f.name.clone(),
            stored,
            created_at: f.created_at.0,
        }
    }

    fn into_file(self) -> Result<StoredFile, RepoError> {
        let bad = || RepoError(anyhow::anyhow!("file {} has an unknown purpose", self.id));
        let file_type = || {
            i32::try_from(self.file_type)
                .ok()
                .and_then(FileType::from_code)
        };
        let purpose = match (self.purpose, self.to_type) {
            (0, 1) => Purpose::Chat {
                file_type: file_type().ok_or_else(bad)?,
                to: Conversation::User(UserId(self.to_id)),
            },
            (0, 2) => Purpose::Chat {
                file_type: file_type().ok_or_else(bad)?,
                to: Conversation::Group(GroupId(self.to_id)),
            },
            (1, _) => Purpose::UserAvatar,
            (2, _) => Purpose::GroupAvatar(GroupId(self.to_id)),
            _ => return Err(bad()),
        };
        Ok(StoredFile {
            id: self.id,
            app: AppId::parse(&self.app_id).map_err(|_| bad())?,
            sign: self.sign,
            object: self.object,
            purpose,
            uploader: UserId(self.uploader),
            size: u64::try_from(self.size).unwrap_or(0),
            content_type: self.content_type,
            name: self.name,
            created_at: Timestamp(self.created_at),
        })
    }
}

#[async_trait]
impl FileRepository for Store {
    async fn claim(&self, file: &StoredFile) -> Result<bool, RepoError> {
        let row = FileRow::of(file, false);
        with_conn!(self, |conn| {
            // The unique (app, sign) index decides: a second upload on one URL loses.
            match diesel::insert_into(files::table)
                .values(&row)
                .execute(conn)
                .await
            {
                Ok(_) => Ok(true),
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => Ok(false),
                Err(e) => Err(err(e)),
            }
        })
    }

    async fn stored(&self, app: &AppId, id: i64, size: u64) -> Result<bool, RepoError> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let changed = with_conn!(self, |conn| {
            diesel::update(in_app::files(app.as_str()).filter(files::id.eq(id)))
                .set((files::stored.eq(true), files::size.eq(size)))
                .execute(conn)
                .await
                .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn discard(&self, app: &AppId, id: i64) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::delete(
                in_app::files(app.as_str())
                    .filter(files::id.eq(id))
                    .filter(files::stored.eq(false)),
            )
            .execute(conn)
            .await
            .map_err(err)?;
        });
        Ok(())
    }

    async fn forward(&self, source: i64, file: &StoredFile) -> Result<bool, RepoError> {
        let row = FileRow::of(file, true);
        // One statement, the source row locked on PostgreSQL: a deletion of the source
        // either waits for the forward (and its cleanup then sees the forward naming the
        // object) or wins (and nothing is inserted).
        let p: Vec<String> = (1..=8).map(|n| self.placeholder(n)).collect();
        let lock = if self.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO files (id, app_id, sign, object, purpose, file_type, to_type, to_id, \
             uploader, size, content_type, name, stored, created_at) \
             SELECT {}, app_id, {}, object, 0, file_type, {}, {}, {}, size, content_type, \
             name, TRUE, {} FROM files WHERE id = {} AND app_id = {} AND stored = TRUE{lock}",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
        );
        use diesel::sql_types::{BigInt, Text};
        let inserted = with_conn!(self, |conn| {
            diesel::sql_query(&sql)
                .bind::<BigInt, _>(row.id)
                .bind::<Text, _>(&row.sign)
                .bind::<BigInt, _>(row.to_type)
                .bind::<BigInt, _>(row.to_id)
                .bind::<BigInt, _>(row.uploader)
                .bind::<BigInt, _>(row.created_at)
                .bind::<BigInt, _>(source)
                .bind::<Text, _>(&row.app_id)
                .execute(conn)
                .await
                .map_err(err)?
        });
        Ok(inserted > 0)
    }

    async fn by_sign(&self, app: &AppId, sign: &str) -> Result<Option<StoredFile>, RepoError> {
        let row: Option<FileRow> = with_conn!(self, |conn| {
            in_app::files(app.as_str())
                .filter(files::sign.eq(sign))
                .filter(files::stored.eq(true))
                .select(FileRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(FileRow::into_file).transpose()
    }

    async fn references(&self, app: &AppId, object: &str) -> Result<i64, RepoError> {
        with_conn!(self, |conn| {
            in_app::files(app.as_str())
                .filter(files::object.eq(object))
                .count()
                .get_result(conn)
                .await
                .map_err(err)
        })
    }

    async fn avatar(&self, app: &AppId, object: &str) -> Result<Option<StoredFile>, RepoError> {
        let row: Option<FileRow> = with_conn!(self, |conn| {
            in_app::files(app.as_str())
                .filter(files::object.eq(object))
                .filter(files::purpose.ne(0))
                .filter(files::stored.eq(true))
                .select(FileRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(FileRow::into_file).transpose()
    }
}

#[async_trait]
impl JobQueue<ObjectDeletion> for Store {
    type Error = RepoError;

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<ObjectDeletion>>, RepoError> {
        let ids = self
            .lease_ids(&crate::jobs::FILE_DELETIONS, now, lease_until, limit)
            .await
            .map_err(RepoError)?;
        let rows: Vec<(i64, i64, String, String)> = with_conn!(self, |conn| {
            file_deletions::table
                .filter(file_deletions::id.eq_any(&ids))
                .select((
                    file_deletions::id,
                    file_deletions::attempts,
                    file_deletions::app_id,
                    file_deletions::object,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(id, attempts, app, object)| {
                let app = AppId::parse(&app)
                    .map_err(|_| RepoError(anyhow::anyhow!("file deletion {id}: bad app id")))?;
                Ok(Leased {
                    id,
                    attempts,
                    job: ObjectDeletion { app, object },
                })
            })
            .collect()
    }

    async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.jobs_done(&crate::jobs::FILE_DELETIONS, ids)
            .await
            .map_err(RepoError)
    }

    async fn failed(
        &self,
        id: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError> {
        self.job_failed(&crate::jobs::FILE_DELETIONS, id, attempts, next_at, error)
            .await
            .map_err(RepoError)
    }
}

/// Deletes the `files` rows `$rows` (a filtered `in_app::files(app)`) in a transaction's
/// connection `$conn`, queueing the objects they named for deletion first (the job keeps
/// those another record still names).
macro_rules! forget_files {
    ($conn:expr, $rows:expr) => {{
        use diesel::dsl::sql;
        use diesel::sql_types::{BigInt, Bool, Text};
        use $crate::schema::{file_deletions, files};
        diesel::insert_into(file_deletions::table)
            .values(
                $rows
                    .select((
                        files::app_id,
                        files::object,
                        sql::<BigInt>("0"),
                        sql::<BigInt>("0"),
                        sql::<Bool>("FALSE"),
                        sql::<Text>("''"),
                    ))
                    .distinct(),
            )
            .into_columns((
                file_deletions::app_id,
                file_deletions::object,
                file_deletions::attempts,
                file_deletions::next_attempt_at,
                file_deletions::failed,
                file_deletions::last_error,
            ))
            .execute($conn)
            .await?;
        diesel::delete($rows).execute($conn).await?;
    }};
}
pub(crate) use forget_files;

#[async_trait]
impl Parties for Store {
    async fn user_exists(&self, app: &AppId, user: UserId) -> Result<bool, RepoError> {
        let n: i64 = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .find(user.0)
                .count()
                .get_result(conn)
                .await
                .map_err(err)?
        });
        Ok(n > 0)
    }

    async fn group_exists(&self, app: &AppId, group: GroupId) -> Result<bool, RepoError> {
        let n: i64 = with_conn!(self, |conn| {
            in_app::chat_groups(app.as_str())
                .filter(chat_groups::id.eq(group.0))
                .filter(chat_groups::destroyed.eq(false))
                .count()
                .get_result(conn)
                .await
                .map_err(err)?
        });
        Ok(n > 0)
    }

    async fn standing(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<Option<Standing>, RepoError> {
        let role: Option<i64> = with_conn!(self, |conn| {
            in_app::group_members(app.as_str())
                .inner_join(chat_groups::table)
                .filter(group_members::group_id.eq(group.0))
                .filter(group_members::user_id.eq(user.0))
                .filter(chat_groups::destroyed.eq(false))
                .select(group_members::role)
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(role.map(|r| match r {
            2 => Standing::Owner,
            1 => Standing::Admin,
            _ => Standing::Member,
        }))
    }
}

impl Store {
    /// The secret called `name`, made (`make`) and stored the first time it is asked for;
    /// every node then reads the same one.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn server_key(
        &self,
        name: &str,
        make: impl FnOnce() -> String + Send,
    ) -> anyhow::Result<String> {
        let fresh = make();
        with_conn!(self, |conn| {
            diesel::insert_into(server_keys::table)
                .values((server_keys::name.eq(name), server_keys::secret.eq(&fresh)))
                .on_conflict_do_nothing()
                .execute(conn)
                .await
                .map_err(unknown)?;
            server_keys::table
                .find(name)
                .select(server_keys::secret)
                .first::<String>(conn)
                .await
                .map_err(unknown)
        })
    }
}
