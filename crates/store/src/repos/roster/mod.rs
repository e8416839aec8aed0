mod directory;

use async_trait::async_trait;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, Timestamp, UserId};
use tidings_roster::RepoError;
use tidings_roster::model::{Application, ApplicationStatus, FriendEntry};
use tidings_roster::ports::RosterRepository;

use crate::Store;
use crate::db::with_conn;
use crate::error::roster_error;
use crate::in_app;
use crate::schema::{roster_applications, roster_blocks, roster_entries};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = roster_entries)]
struct EntryRow {
    app_id: String,
    owner_id: i64,
    friend_id: i64,
    active: bool,
    alias: String,
    ext: String,
    mute_notification: bool,
    updated_at: i64,
}

impl From<EntryRow> for FriendEntry {
    fn from(r: EntryRow) -> Self {
        FriendEntry {
            owner: UserId(r.owner_id),
            friend: UserId(r.friend_id),
            active: r.active,
            alias: r.alias,
            ext: r.ext,
            mute_notification: r.mute_notification,
            updated_at: Timestamp(r.updated_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = roster_applications)]
struct ApplicationRow {
    id: i64,
    app_id: String,
    applicant_id: i64,
    target_id: i64,
    reason: String,
    alias: String,
    status: i64,
    expires_at: i64,
    created_at: i64,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = RepoError;

    fn try_from(r: ApplicationRow) -> Result<Self, RepoError> {
        Ok(Application {
            id: r.id,
            applicant: UserId(r.applicant_id),
            target: UserId(r.target_id),
            reason: r.reason,
            alias: r.alias,
            status: ApplicationStatus::from_code(r.status)
                .map_err(|e| RepoError(anyhow::anyhow!("stored data is invalid: {e}")))?,
            expires_at: Timestamp(r.expires_at),
            created_at: Timestamp(r.created_at),
        })
    }
}

#[async_trait]
impl RosterRepository for Store {
    async fn entry(
        &self,
        app: &AppId,
        owner: UserId,
        friend: UserId,
    ) -> Result<Option<FriendEntry>, RepoError> {
        let row: Option<EntryRow> = with_conn!(self, |conn| {
            in_app::roster_entries(app.as_str())
                .filter(roster_entries::owner_id.eq(owner.0))
                .filter(roster_entries::friend_id.eq(friend.0))
                .select(EntryRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(roster_error)?
        });
        Ok(row.map(FriendEntry::from))
    }

    async fn entries(
        &self,
        app: &AppId,
        owner: UserId,
        friends: &[UserId],
    ) -> Result<Vec<FriendEntry>, RepoError> {
        let friends: Vec<i64> = friends.iter().map(|f| f.0).collect();
        let rows: Vec<EntryRow> = with_conn!(self, |conn| {
            in_app::roster_entries(app.as_str())
                .filter(roster_entries::owner_id.eq(owner.0))
                .filter(roster_entries::friend_id.eq_any(&friends))
                .select(EntryRow::as_select())
                .load(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(rows.into_iter().map(FriendEntry::from).collect())
    }

    async fn friend_ids(
        &self,
        app: &AppId,
        owner: UserId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<UserId>, RepoError> {
        let after = after.map_or(i64::MIN, |a| a.0);
        let ids: Vec<i64> = with_conn!(self, |conn| {
            in_app::roster_entries(app.as_str())
                .filter(roster_entries::owner_id.eq(owner.0))
                .filter(roster_entries::active.eq(true))
                .filter(roster_entries::friend_id.gt(after))
                .order(roster_entries::friend_id)
                .limit(limit)
                .select(roster_entries::friend_id)
                .load(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn roster_version(&self, app: &AppId, owner: UserId) -> Result<i64, RepoError> {
        let version: Option<i64> = with_conn!(self, |conn| {
            in_app::roster_entries(app.as_str())
                .filter(roster_entries::owner_id.eq(owner.0))
                .select(max(roster_entries::updated_at))
                .first(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(version.unwrap_or(0))
    }

    async fn make_friends(
        &self,
        app: &AppId,
        a: UserId,
        b: UserId,
        alias_of_b: Option<String>,
        alias_of_a: Option<String>,
        now: Timestamp,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                // One upsert per direction: concurrent befriending never collides.
                for (owner, friend, alias) in [(a, b, &alias_of_b), (b, a, &alias_of_a)] {
                    let insert = diesel::insert_into(roster_entries::table).values(EntryRow {
                        app_id: app.to_owned(),
                        owner_id: owner.0,
                        friend_id: friend.0,
                        active: true,
                        alias: alias.clone().unwrap_or_default(),
                        ext: String::new(),
                        mute_notification: false,
                        updated_at: now.0,
                    });
                    let conflict = insert
                        .on_conflict((roster_entries::owner_id, roster_entries::friend_id))
                        .do_update();
                    match alias {
                        Some(alias) => {
                            conflict
                                .set((
                                    roster_entries::active.eq(true),
                                    roster_entries::alias.eq(alias),
                                    roster_entries::updated_at.eq(now.0),
                                ))
                                .execute(c)
                                .await?
                        }
                        None => {
                            conflict
                                .set((
                                    roster_entries::active.eq(true),
                                    roster_entries::updated_at.eq(now.0),
                                ))
                                .execute(c)
                                .await?
                        }
                    };
                }
                diesel::update(
                    in_app::roster_applications(app)
                        .filter(roster_applications::status.eq(ApplicationStatus::Pending.code()))
                        .filter(
                            roster_applications::applicant_id
                                .eq(a.0)
                                .and(roster_applications::target_id.eq(b.0))
                                .or(roster_applications::applicant_id
                                    .eq(b.0)
                                    .and(roster_applications::target_id.eq(a.0))),
                        ),
                )
                .set(roster_applications::status.eq(ApplicationStatus::Accepted.code()))
                .execute(c)
                .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(roster_error)
        })
    }

    async fn remove_friends(
        &self,
        app: &AppId,
        a: UserId,
        b: UserId,
        now: Timestamp,
    ) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::update(
                in_app::roster_entries(app.as_str()).filter(
                    roster_entries::owner_id
                        .eq(a.0)
                        .and(roster_entries::friend_id.eq(b.0))
                        .or(roster_entries::owner_id
                            .eq(b.0)
                            .and(roster_entries::friend_id.eq(a.0))),
                ),
            )
            .set((
                roster_entries::active.eq(false),
                roster_entries::updated_at.eq(now.0),
            ))
            .execute(conn)
            .await
            .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn update_entry(&self, app: &AppId, entry: &FriendEntry) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::update(
                in_app::roster_entries(app.as_str())
                    .filter(roster_entries::owner_id.eq(entry.owner.0))
                    .filter(roster_entries::friend_id.eq(entry.friend.0)),
            )
            .set((
                roster_entries::alias.eq(&entry.alias),
                roster_entries::ext.eq(&entry.ext),
                roster_entries::mute_notification.eq(entry.mute_notification),
                roster_entries::updated_at.eq(entry.updated_at.0),
            ))
            .execute(conn)
            .await
            .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn save_application(
        &self,
        app: &AppId,
        application: &Application,
    ) -> Result<(), RepoError> {
        let row = ApplicationRow {
            id: application.id,
            app_id: app.as_str().to_owned(),
            applicant_id: application.applicant.0,
            target_id: application.target.0,
            reason: application.reason.clone(),
            alias: application.alias.clone(),
            status: application.status.code(),
            expires_at: application.expires_at.0,
            created_at: application.created_at.0,
        };
        with_conn!(self, |conn| {
            diesel::insert_into(roster_applications::table)
                .values(&row)
                .on_conflict((
                    roster_applications::applicant_id,
                    roster_applications::target_id,
                ))
                .do_update()
                .set((
                    roster_applications::id.eq(row.id),
                    roster_applications::reason.eq(&row.reason),
                    roster_applications::alias.eq(&row.alias),
                    roster_applications::status.eq(row.status),
                    roster_applications::expires_at.eq(row.expires_at),
                    roster_applications::created_at.eq(row.created_at),
                ))
                .execute(conn)
                .await
                .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn application(
        &self,
        app: &AppId,
        applicant: UserId,
        target: UserId,
    ) -> Result<Option<Application>, RepoError> {
        let row: Option<ApplicationRow> = with_conn!(self, |conn| {
            in_app::roster_applications(app.as_str())
                .filter(roster_applications::applicant_id.eq(applicant.0))
                .filter(roster_applications::target_id.eq(target.0))
                .select(ApplicationRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(roster_error)?
        });
        row.map(Application::try_from).transpose()
    }

    async fn set_application_status(
        &self,
        app: &AppId,
        applicant: UserId,
        target: UserId,
        status: ApplicationStatus,
    ) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::update(
                in_app::roster_applications(app.as_str())
                    .filter(roster_applications::applicant_id.eq(applicant.0))
                    .filter(roster_applications::target_id.eq(target.0)),
            )
            .set(roster_applications::status.eq(status.code()))
            .execute(conn)
            .await
            .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn applications_to(
        &self,
        app: &AppId,
        target: UserId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Application>, RepoError> {
        let before = before.unwrap_or(i64::MAX);
        let rows: Vec<ApplicationRow> = with_conn!(self, |conn| {
            in_app::roster_applications(app.as_str())
                .filter(roster_applications::target_id.eq(target.0))
                .filter(roster_applications::id.lt(before))
                .order(roster_applications::id.desc())
                .limit(limit)
                .select(ApplicationRow::as_select())
                .load(conn)
                .await
                .map_err(roster_error)?
        });
        rows.into_iter().map(Application::try_from).collect()
    }

    async fn block(
        &self,
        app: &AppId,
        owner: UserId,
        target: UserId,
        now: Timestamp,
    ) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::insert_into(roster_blocks::table)
                .values((
                    roster_blocks::app_id.eq(app.as_str()),
                    roster_blocks::owner_id.eq(owner.0),
                    roster_blocks::blocked_id.eq(target.0),
                    roster_blocks::created_at.eq(now.0),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await
                .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn unblock(&self, app: &AppId, owner: UserId, target: UserId) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::delete(
                in_app::roster_blocks(app.as_str())
                    .filter(roster_blocks::owner_id.eq(owner.0))
                    .filter(roster_blocks::blocked_id.eq(target.0)),
            )
            .execute(conn)
            .await
            .map_err(roster_error)?;
        });
        Ok(())
    }

    async fn blocked(&self, app: &AppId, owner: UserId) -> Result<Vec<UserId>, RepoError> {
        let ids: Vec<i64> = with_conn!(self, |conn| {
            in_app::roster_blocks(app.as_str())
                .filter(roster_blocks::owner_id.eq(owner.0))
                .order(roster_blocks::blocked_id)
                .select(roster_blocks::blocked_id)
                .load(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn is_blocked(
        &self,
        app: &AppId,
        owner: UserId,
        target: UserId,
    ) -> Result<bool, RepoError> {
        let count: i64 = with_conn!(self, |conn| {
            in_app::roster_blocks(app.as_str())
                .filter(roster_blocks::owner_id.eq(owner.0))
                .filter(roster_blocks::blocked_id.eq(target.0))
                .count()
                .get_result(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(count > 0)
    }
}
