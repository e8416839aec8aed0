mod rows;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_groups::RepoError;
use tidings_groups::model::{
    Announcement, BlockedUser, Group, GroupChange, Invitation, JoinLimits, JoinOutcome,
    JoinRequest, Member, Preference, RequestStatus, Resolution, Role, SharedFile,
};
use tidings_groups::ports::{GroupRepository, GroupUsers};
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

use crate::Store;
use crate::db::with_conn;
use crate::error::groups_error as err;
use crate::in_app;
use crate::schema::{
    chat_groups, group_announcements, group_blocks, group_files, group_invitations,
    group_join_requests, group_kicks, group_members, users,
};
use rows::{
    AnnouncementRow, BlockRow, FileRow, GroupRow, InvitationRow, JoinRequestRow, MemberRow,
};

/// What a resolving transaction ends with besides a database error: a refused join, which
/// rolls the status change back.
#[derive(Debug)]
enum TxEnd {
    Db(diesel::result::Error),
    Refused(JoinOutcome),
}

impl From<diesel::result::Error> for TxEnd {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

fn refused(end: TxEnd) -> Result<Resolution, RepoError> {
    match end {
        TxEnd::Refused(outcome) => Ok(Resolution::Refused(outcome)),
        TxEnd::Db(e) => Err(err(e)),
    }
}

/// Adds one member inside an open transaction `$c`, after holding the group row (a write
/// lock on SQLite) and checking every join rule; evaluates to the [`JoinOutcome`].
macro_rules! join_in_tx {
    ($c:expr, $app:expr, $row:expr, $limits:expr) => {{
        let (app, row, limits): (&str, &MemberRow, &JoinLimits) = ($app, $row, $limits);
        let live = diesel::update(
            in_app::chat_groups(app)
                .filter(chat_groups::id.eq(row.group_id))
                .filter(chat_groups::destroyed.eq(false)),
        )
        .set(chat_groups::capacity.eq(chat_groups::capacity))
        .execute($c)
        .await?;
        if live == 0 {
            JoinOutcome::GroupGone
        } else if in_app::group_members(app)
            .filter(group_members::group_id.eq(row.group_id))
            .filter(group_members::user_id.eq(row.user_id))
            .count()
            .get_result::<i64>($c)
            .await?
            > 0
        {
            JoinOutcome::AlreadyMember
        } else if in_app::group_blocks(app)
            .filter(group_blocks::group_id.eq(row.group_id))
            .filter(group_blocks::user_id.eq(row.user_id))
            .count()
            .get_result::<i64>($c)
            .await?
            > 0
        {
            JoinOutcome::Blacklisted
        } else if in_app::group_kicks(app)
            .filter(group_kicks::group_id.eq(row.group_id))
            .filter(group_kicks::user_id.eq(row.user_id))
            .select(group_kicks::kicks)
            .first::<i64>($c)
            .await
            .optional()?
            .unwrap_or(0)
            > limits.kick_limit
        {
            JoinOutcome::KickedTooOften
        } else if group_members::table
            .inner_join(chat_groups::table)
            .filter(group_members::app_id.eq(app))
            .filter(group_members::user_id.eq(row.user_id))
            .filter(chat_groups::destroyed.eq(false))
            .count()
            .get_result::<i64>($c)
            .await?
            >= limits.max_joined
        {
            JoinOutcome::TooManyJoined
        } else if in_app::group_members(app)
            .filter(group_members::group_id.eq(row.group_id))
            .count()
            .get_result::<i64>($c)
            .await?
            >= limits.capacity
        {
            JoinOutcome::Full
        } else {
            diesel::insert_into(group_members::table)
                .values(row)
                .execute($c)
                .await?;
            JoinOutcome::Joined
        }
    }};
}

/// Finishes resolving an invitation or application whose status update changed `$open`
/// rows: nothing open → `Missing`; declining → `Declined`; accepting → the join, whose
/// refusal rolls the status change back.
macro_rules! resolve_in_tx {
    ($c:expr, $app:expr, $open:expr, $joining:expr) => {{
        if $open == 0 {
            Ok(Resolution::Missing)
        } else {
            match &$joining {
                None => Ok(Resolution::Declined),
                Some((row, limits)) => match join_in_tx!($c, $app, row, limits) {
                    JoinOutcome::Joined => Ok(Resolution::Joined),
                    refused => Err(TxEnd::Refused(refused)),
                },
            }
        }
    }};
}

fn ids<T: Copy>(list: &[T], f: impl Fn(T) -> i64) -> Vec<i64> {
    list.iter().map(|x| f(*x)).collect()
}

fn members(rows: Vec<MemberRow>) -> Result<Vec<Member>, RepoError> {
    rows.into_iter().map(Member::try_from).collect()
}

#[async_trait]
impl GroupRepository for Store {
    async fn create_group(
        &self,
        app: &AppId,
        group: &Group,
        members: &[Member],
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        let row = GroupRow::new(app, group);
        let rows: Vec<MemberRow> = members.iter().map(|m| MemberRow::new(app, m)).collect();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::insert_into(chat_groups::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                for member in &rows {
                    diesel::insert_into(group_members::table)
                        .values(member)
                        .execute(c)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }

    async fn group(&self, app: &AppId, id: GroupId) -> Result<Option<Group>, RepoError> {
        let row: Option<GroupRow> = with_conn!(self, |conn| {
            in_app::chat_groups(app.as_str())
                .filter(chat_groups::id.eq(id.0))
                .select(GroupRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(Group::try_from).transpose()
    }

    async fn groups(&self, app: &AppId, list: &[GroupId]) -> Result<Vec<Group>, RepoError> {
        let list = ids(list, |g| g.0);
        let rows: Vec<GroupRow> = with_conn!(self, |conn| {
            in_app::chat_groups(app.as_str())
                .filter(chat_groups::id.eq_any(&list))
                .order(chat_groups::id)
                .select(GroupRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter().map(Group::try_from).collect()
    }

    async fn change_group(
        &self,
        app: &AppId,
        group: GroupId,
        change: &GroupChange,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            let live = in_app::chat_groups(app.as_str())
                .filter(chat_groups::id.eq(group.0))
                .filter(chat_groups::destroyed.eq(false));
            let at = chat_groups::updated_at.eq(now.0);
            let update = diesel::update(live);
            match change {
                GroupChange::Name(v) => {
                    update
                        .set((chat_groups::name.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::Description(v) => {
                    update
                        .set((chat_groups::description.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::Avatar(v) => {
                    update
                        .set((chat_groups::avatar.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::Ext(v) => update.set((chat_groups::ext.eq(v), at)).execute(conn).await,
                GroupChange::MemberInvite(v) => {
                    update
                        .set((chat_groups::member_invite.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::MemberModify(v) => {
                    update
                        .set((chat_groups::member_modify.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::ReadAck(v) => {
                    update
                        .set((chat_groups::read_ack.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::HistoryVisible(v) => {
                    update
                        .set((chat_groups::history_visible.eq(v), at))
                        .execute(conn)
                        .await
                }
                GroupChange::ApplyApproval(v) => {
                    update
                        .set((chat_groups::apply_approval.eq(v.code()), at))
                        .execute(conn)
                        .await
                }
                GroupChange::BanExpireTime(v) => {
                    update
                        .set((chat_groups::ban_expire_time.eq(v), at))
                        .execute(conn)
                        .await
                }
            }
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn destroy_group(
        &self,
        app: &AppId,
        group: GroupId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        let app = app.as_str();
        let changed = with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let changed = diesel::update(
                    in_app::chat_groups(app)
                        .filter(chat_groups::id.eq(group.0))
                        .filter(chat_groups::destroyed.eq(false)),
                )
                .set((
                    chat_groups::destroyed.eq(true),
                    chat_groups::updated_at.eq(now.0),
                ))
                .execute(c)
                .await?;
                // The group's chat files and avatar are no longer readable.
                crate::repos::files::forget_files!(
                    c,
                    in_app::files(app)
                        .filter(files::to_type.eq(2))
                        .filter(files::to_id.eq(group.0))
                );
                Ok::<_, diesel::result::Error>(changed)
            })
            .await
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn transfer_owner(
        &self,
        app: &AppId,
        group: GroupId,
        from: UserId,
        to: UserId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let member = |user: UserId| {
                    in_app::group_members(app)
                        .filter(group_members::group_id.eq(group.0))
                        .filter(group_members::user_id.eq(user.0))
                };
                // The new owner must still be a member, and the old one still the owner.
                let promoted = diesel::update(member(to))
                    .set(group_members::role.eq(Role::Owner.code()))
                    .execute(c)
                    .await?;
                let demoted =
                    diesel::update(member(from).filter(group_members::role.eq(Role::Owner.code())))
                        .set(group_members::role.eq(Role::Member.code()))
                        .execute(c)
                        .await?;
                if promoted == 0 || demoted == 0 {
                    return Err(diesel::result::Error::RollbackTransaction);
                }
                diesel::update(
                    in_app::chat_groups(app)
                        .filter(chat_groups::id.eq(group.0))
                        .filter(chat_groups::destroyed.eq(false)),
                )
                .set((
                    chat_groups::owner_id.eq(to.0),
                    chat_groups::updated_at.eq(now.0),
                ))
                .execute(c)
                .await?;
                Ok(true)
            })
            .await
            .or_else(|e| match e {
                diesel::result::Error::RollbackTransaction => Ok(false),
                other => Err(err(other)),
            })
        })
    }

    async fn member(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<Option<Member>, RepoError> {
        let row: Option<MemberRow> = with_conn!(self, |conn| {
            in_app::group_members(app.as_str())
                .filter(group_members::group_id.eq(group.0))
                .filter(group_members::user_id.eq(user.0))
                .select(MemberRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(Member::try_from).transpose()
    }

    async fn members_of(
        &self,
        app: &AppId,
        group: GroupId,
        list: &[UserId],
    ) -> Result<Vec<Member>, RepoError> {
        let list = ids(list, |u| u.0);
        let rows: Vec<MemberRow> = with_conn!(self, |conn| {
            in_app::group_members(app.as_str())
                .filter(group_members::group_id.eq(group.0))
                .filter(group_members::user_id.eq_any(&list))
                .order(group_members::user_id)
                .select(MemberRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        members(rows)
    }

    async fn member_count(&self, app: &AppId, group: GroupId) -> Result<i64, RepoError> {
        with_conn!(self, |conn| {
            in_app::group_members(app.as_str())
                .filter(group_members::group_id.eq(group.0))
                .count()
                .get_result(conn)
                .await
                .map_err(err)
        })
    }

    async fn member_page(
        &self,
        app: &AppId,
        group: GroupId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<Member>, i64), RepoError> {
        let after = after.map_or(i64::MIN, |u| u.0);
        let (rows, total): (Vec<MemberRow>, i64) = with_conn!(self, |conn| {
            let all =
                in_app::group_members(app.as_str()).filter(group_members::group_id.eq(group.0));
            let rows = all
                .filter(group_members::user_id.gt(after))
                .order(group_members::user_id)
                .limit(limit)
                .select(MemberRow::as_select())
                .load(conn)
                .await
                .map_err(err)?;
            let total: i64 = all.count().get_result(conn).await.map_err(err)?;
            (rows, total)
        });
        Ok((members(rows)?, total))
    }

    async fn muted_page(
        &self,
        app: &AppId,
        group: GroupId,
        now: Timestamp,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<Member>, i64), RepoError> {
        let after = after.map_or(i64::MIN, |u| u.0);
        let (rows, total): (Vec<MemberRow>, i64) = with_conn!(self, |conn| {
            let muted = in_app::group_members(app.as_str())
                .filter(group_members::group_id.eq(group.0))
                .filter(
                    group_members::muted_until
                        .eq(-1)
                        .or(group_members::muted_until.gt(now.0)),
                );
            let rows = muted
                .filter(group_members::user_id.gt(after))
                .order(group_members::user_id)
                .limit(limit)
                .select(MemberRow::as_select())
                .load(conn)
                .await
                .map_err(err)?;
            let total: i64 = muted.count().get_result(conn).await.map_err(err)?;
            (rows, total)
        });
        Ok((members(rows)?, total))
    }

    async fn admins(&self, app: &AppId, group: GroupId) -> Result<Vec<Member>, RepoError> {
        let rows: Vec<MemberRow> = with_conn!(self, |conn| {
            in_app::group_members(app.as_str())
                .filter(group_members::group_id.eq(group.0))
                .filter(group_members::role.eq(Role::Admin.code()))
                .order(group_members::user_id)
                .select(MemberRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        members(rows)
    }

    async fn join(
        &self,
        app: &AppId,
        member: &Member,
        limits: &JoinLimits,
    ) -> Result<JoinOutcome, RepoError> {
        let app = app.as_str();
        let row = MemberRow::new(app, member);
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let outcome = join_in_tx!(c, app, &row, limits);
                Ok::<_, diesel::result::Error>(outcome)
            })
            .await
            .map_err(err)
        })
    }

    async fn remove_members(
        &self,
        app: &AppId,
        group: GroupId,
        list: &[UserId],
        kicked: bool,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        let list = ids(list, |u| u.0);
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::delete(
                    in_app::group_members(app)
                        .filter(group_members::group_id.eq(group.0))
                        .filter(group_members::user_id.eq_any(&list)),
                )
                .execute(c)
                .await?;
                if kicked {
                    for user in &list {
                        diesel::insert_into(group_kicks::table)
                            .values((
                                group_kicks::app_id.eq(app),
                                group_kicks::group_id.eq(group.0),
                                group_kicks::user_id.eq(*user),
                                group_kicks::kicks.eq(1),
                            ))
                            .on_conflict((group_kicks::group_id, group_kicks::user_id))
                            .do_update()
                            .set(group_kicks::kicks.eq(group_kicks::kicks + 1))
                            .execute(c)
                            .await?;
                    }
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }

    async fn kick_count(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<i64, RepoError> {
        let kicks: Option<i64> = with_conn!(self, |conn| {
            in_app::group_kicks(app.as_str())
                .filter(group_kicks::group_id.eq(group.0))
                .filter(group_kicks::user_id.eq(user.0))
                .select(group_kicks::kicks)
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(kicks.unwrap_or(0))
    }

    async fn set_role(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        from: Role,
        to: Role,
    ) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            diesel::update(
                in_app::group_members(app.as_str())
                    .filter(group_members::group_id.eq(group.0))
                    .filter(group_members::user_id.eq(user.0))
                    .filter(group_members::role.eq(from.code())),
            )
            .set(group_members::role.eq(to.code()))
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn set_muted(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        role: Role,
        until: i64,
    ) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            diesel::update(
                in_app::group_members(app.as_str())
                    .filter(group_members::group_id.eq(group.0))
                    .filter(group_members::user_id.eq(user.0))
                    .filter(group_members::role.eq(role.code())),
            )
            .set(group_members::muted_until.eq(until))
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn set_preference(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        preference: &Preference,
    ) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            let update = diesel::update(
                in_app::group_members(app.as_str())
                    .filter(group_members::group_id.eq(group.0))
                    .filter(group_members::user_id.eq(user.0)),
            );
            match preference {
                Preference::DisplayName(v) => {
                    update
                        .set(group_members::display_name.eq(v))
                        .execute(conn)
                        .await
                }
                Preference::MuteMode(v) => {
                    update
                        .set(group_members::msg_mute_mode.eq(v))
                        .execute(conn)
                        .await
                }
                Preference::PushMode(v) => {
                    update
                        .set(group_members::msg_push_mode.eq(v))
                        .execute(conn)
                        .await
                }
            }
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn joined_groups(&self, app: &AppId, user: UserId) -> Result<Vec<GroupId>, RepoError> {
        let list: Vec<i64> = with_conn!(self, |conn| {
            group_members::table
                .inner_join(chat_groups::table)
                .filter(group_members::app_id.eq(app.as_str()))
                .filter(group_members::user_id.eq(user.0))
                .filter(chat_groups::destroyed.eq(false))
                .order(group_members::group_id)
                .select(group_members::group_id)
                .load(conn)
                .await
                .map_err(err)?
        });
        Ok(list.into_iter().map(GroupId).collect())
    }

    async fn owned_count(&self, app: &AppId, user: UserId) -> Result<i64, RepoError> {
        with_conn!(self, |conn| {
            in_app::chat_groups(app.as_str())
                .filter(chat_groups::owner_id.eq(user.0))
                .filter(chat_groups::destroyed.eq(false))
                .count()
                .get_result(conn)
                .await
                .map_err(err)
        })
    }

    async fn chatrooms(&self, app: &AppId) -> Result<Vec<GroupId>, RepoError> {
        let list: Vec<i64> = with_conn!(self, |conn| {
            in_app::chat_groups(app.as_str())
                .filter(chat_groups::kind.eq(2))
                .filter(chat_groups::destroyed.eq(false))
                .order(chat_groups::id)
                .select(chat_groups::id)
                .load(conn)
                .await
                .map_err(err)?
        });
        Ok(list.into_iter().map(GroupId).collect())
    }

    async fn block_users(
        &self,
        app: &AppId,
        group: GroupId,
        list: &[UserId],
        now: Timestamp,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        let list = ids(list, |u| u.0);
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                for user in &list {
                    diesel::insert_into(group_blocks::table)
                        .values((
                            group_blocks::app_id.eq(app),
                            group_blocks::group_id.eq(group.0),
                            group_blocks::user_id.eq(*user),
                            group_blocks::created_at.eq(now.0),
                        ))
                        .on_conflict_do_nothing()
                        .execute(c)
                        .await?;
                }
                diesel::delete(
                    in_app::group_members(app)
                        .filter(group_members::group_id.eq(group.0))
                        .filter(group_members::user_id.eq_any(&list)),
                )
                .execute(c)
                .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }

    async fn unblock_users(
        &self,
        app: &AppId,
        group: GroupId,
        list: &[UserId],
    ) -> Result<(), RepoError> {
        let list = ids(list, |u| u.0);
        with_conn!(self, |conn| {
            diesel::delete(
                in_app::group_blocks(app.as_str())
                    .filter(group_blocks::group_id.eq(group.0))
                    .filter(group_blocks::user_id.eq_any(&list)),
            )
            .execute(conn)
            .await
            .map_err(err)?;
        });
        Ok(())
    }

    async fn is_blocked(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool, RepoError> {
        let count: i64 = with_conn!(self, |conn| {
            in_app::group_blocks(app.as_str())
                .filter(group_blocks::group_id.eq(group.0))
                .filter(group_blocks::user_id.eq(user.0))
                .count()
                .get_result(conn)
                .await
                .map_err(err)?
        });
        Ok(count > 0)
    }

    async fn blocked_page(
        &self,
        app: &AppId,
        group: GroupId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<BlockedUser>, i64), RepoError> {
        let after = after.map_or(i64::MIN, |u| u.0);
        let (rows, total): (Vec<BlockRow>, i64) = with_conn!(self, |conn| {
            let all = in_app::group_blocks(app.as_str()).filter(group_blocks::group_id.eq(group.0));
            let rows = all
                .filter(group_blocks::user_id.gt(after))
                .order(group_blocks::user_id)
                .limit(limit)
                .select(BlockRow::as_select())
                .load(conn)
                .await
                .map_err(err)?;
            let total: i64 = all.count().get_result(conn).await.map_err(err)?;
            (rows, total)
        });
        Ok((rows.into_iter().map(BlockedUser::from).collect(), total))
    }

    async fn save_invitation(&self, app: &AppId, invitation: &Invitation) -> Result<(), RepoError> {
        let row = InvitationRow::new(app.as_str(), invitation);
        with_conn!(self, |conn| {
            diesel::insert_into(group_invitations::table)
                .values(&row)
                .on_conflict((group_invitations::group_id, group_invitations::invitee_id))
                .do_update()
                .set((
                    group_invitations::inviter_id.eq(row.inviter_id),
                    group_invitations::reason.eq(&row.reason),
                    group_invitations::status.eq(row.status),
                    group_invitations::expires_at.eq(row.expires_at),
                    group_invitations::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await
                .map_err(err)?;
        });
        Ok(())
    }

    async fn invitation(
        &self,
        app: &AppId,
        group: GroupId,
        invitee: UserId,
    ) -> Result<Option<Invitation>, RepoError> {
        let row: Option<InvitationRow> = with_conn!(self, |conn| {
            in_app::group_invitations(app.as_str())
                .filter(group_invitations::group_id.eq(group.0))
                .filter(group_invitations::invitee_id.eq(invitee.0))
                .select(InvitationRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(Invitation::try_from).transpose()
    }

    async fn resolve_invitation<'a>(
        &self,
        app: &AppId,
        group: GroupId,
        invitee: UserId,
        join: Option<(&'a Member, &'a JoinLimits)>,
        now: Timestamp,
    ) -> Result<Resolution, RepoError> {
        let app = app.as_str();
        let joining = join.map(|(m, limits)| (MemberRow::new(app, m), *limits));
        let status = if joining.is_some() {
            RequestStatus::Accepted
        } else {
            RequestStatus::Declined
        };
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let open = diesel::update(
                    in_app::group_invitations(app)
                        .filter(group_invitations::group_id.eq(group.0))
                        .filter(group_invitations::invitee_id.eq(invitee.0))
                        .filter(group_invitations::status.eq(RequestStatus::Pending.code()))
                        .filter(group_invitations::expires_at.gt(now.0)),
                )
                .set((
                    group_invitations::status.eq(status.code()),
                    group_invitations::updated_at.eq(now.0),
                ))
                .execute(c)
                .await?;
                resolve_in_tx!(c, app, open, joining)
            })
            .await
            .or_else(refused)
        })
    }

    async fn invitations_to(
        &self,
        app: &AppId,
        invitee: UserId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Invitation>, i64), RepoError> {
        let before = before.unwrap_or(i64::MAX);
        let (rows, total): (Vec<InvitationRow>, i64) = with_conn!(self, |conn| {
            let all = in_app::group_invitations(app.as_str())
                .filter(group_invitations::invitee_id.eq(invitee.0));
            let rows = all
                .filter(group_invitations::id.lt(before))
                .order(group_invitations::id.desc())
                .limit(limit)
                .select(InvitationRow::as_select())
                .load(conn)
                .await
                .map_err(err)?;
            let total: i64 = all.count().get_result(conn).await.map_err(err)?;
            (rows, total)
        });
        let items = rows
            .into_iter()
            .map(Invitation::try_from)
            .collect::<Result<_, _>>()?;
        Ok((items, total))
    }

    async fn save_join_request(&self, app: &AppId, request: &JoinRequest) -> Result<(), RepoError> {
        let row = JoinRequestRow::new(app.as_str(), request);
        with_conn!(self, |conn| {
            diesel::insert_into(group_join_requests::table)
                .values(&row)
                .on_conflict((
                    group_join_requests::group_id,
                    group_join_requests::applicant_id,
                ))
                .do_update()
                .set((
                    group_join_requests::reason.eq(&row.reason),
                    group_join_requests::status.eq(row.status),
                    group_join_requests::expires_at.eq(row.expires_at),
                ))
                .execute(conn)
                .await
                .map_err(err)?;
        });
        Ok(())
    }

    async fn join_request(
        &self,
        app: &AppId,
        group: GroupId,
        applicant: UserId,
    ) -> Result<Option<JoinRequest>, RepoError> {
        let row: Option<JoinRequestRow> = with_conn!(self, |conn| {
            in_app::group_join_requests(app.as_str())
                .filter(group_join_requests::group_id.eq(group.0))
                .filter(group_join_requests::applicant_id.eq(applicant.0))
                .select(JoinRequestRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(JoinRequest::try_from).transpose()
    }

    async fn resolve_join_request<'a>(
        &self,
        app: &AppId,
        group: GroupId,
        applicant: UserId,
        join: Option<(&'a Member, &'a JoinLimits)>,
        now: Timestamp,
    ) -> Result<Resolution, RepoError> {
        let app = app.as_str();
        let joining = join.map(|(m, limits)| (MemberRow::new(app, m), *limits));
        let status = if joining.is_some() {
            RequestStatus::Accepted
        } else {
            RequestStatus::Declined
        };
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let open = diesel::update(
                    in_app::group_join_requests(app)
                        .filter(group_join_requests::group_id.eq(group.0))
                        .filter(group_join_requests::applicant_id.eq(applicant.0))
                        .filter(group_join_requests::status.eq(RequestStatus::Pending.code()))
                        .filter(group_join_requests::expires_at.gt(now.0)),
                )
                .set(group_join_requests::status.eq(status.code()))
                .execute(c)
                .await?;
                resolve_in_tx!(c, app, open, joining)
            })
            .await
            .or_else(refused)
        })
    }

    async fn join_requests(
        &self,
        app: &AppId,
        groups: &[GroupId],
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<JoinRequest>, i64), RepoError> {
        let groups = ids(groups, |g| g.0);
        let before = before.unwrap_or(i64::MAX);
        let (rows, total): (Vec<JoinRequestRow>, i64) = with_conn!(self, |conn| {
            let all = in_app::group_join_requests(app.as_str())
                .filter(group_join_requests::group_id.eq_any(&groups));
            let rows = all
                .clone()
                .filter(group_join_requests::id.lt(before))
                .order(group_join_requests::id.desc())
                .limit(limit)
                .select(JoinRequestRow::as_select())
                .load(conn)
                .await
                .map_err(err)?;
            let total: i64 = all.count().get_result(conn).await.map_err(err)?;
            (rows, total)
        });
        let items = rows
            .into_iter()
            .map(JoinRequest::try_from)
            .collect::<Result<_, _>>()?;
        Ok((items, total))
    }

    async fn save_announcement(&self, app: &AppId, a: &Announcement) -> Result<(), RepoError> {
        let row = AnnouncementRow {
            id: a.id,
            app_id: app.as_str().to_owned(),
            group_id: a.group.0,
            author_id: a.author.0,
            title: a.title.clone(),
            content: a.content.clone(),
            created_at: a.created_at.0,
        };
        with_conn!(self, |conn| {
            diesel::insert_into(group_announcements::table)
                .values(&row)
                .execute(conn)
                .await
                .map_err(err)?;
        });
        Ok(())
    }

    async fn announcement(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<Option<Announcement>, RepoError> {
        let row: Option<AnnouncementRow> = with_conn!(self, |conn| {
            in_app::group_announcements(app.as_str())
                .filter(group_announcements::group_id.eq(group.0))
                .filter(group_announcements::id.eq(id))
                .select(AnnouncementRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(row.map(Announcement::from))
    }

    async fn announcements(
        &self,
        app: &AppId,
        group: GroupId,
    ) -> Result<Vec<Announcement>, RepoError> {
        let rows: Vec<AnnouncementRow> = with_conn!(self, |conn| {
            in_app::group_announcements(app.as_str())
                .filter(group_announcements::group_id.eq(group.0))
                .order(group_announcements::id.desc())
                .select(AnnouncementRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        Ok(rows.into_iter().map(Announcement::from).collect())
    }

    async fn delete_announcement(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<bool, RepoError> {
        let deleted = with_conn!(self, |conn| {
            diesel::delete(
                in_app::group_announcements(app.as_str())
                    .filter(group_announcements::group_id.eq(group.0))
                    .filter(group_announcements::id.eq(id)),
            )
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(deleted > 0)
    }

    async fn save_file(&self, app: &AppId, file: &SharedFile) -> Result<(), RepoError> {
        let row = FileRow::new(app.as_str(), file);
        with_conn!(self, |conn| {
            diesel::insert_into(group_files::table)
                .values(&row)
                .execute(conn)
                .await
                .map_err(err)?;
        });
        Ok(())
    }

    async fn file(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<Option<SharedFile>, RepoError> {
        let row: Option<FileRow> = with_conn!(self, |conn| {
            in_app::group_files(app.as_str())
                .filter(group_files::group_id.eq(group.0))
                .filter(group_files::id.eq(id))
                .select(FileRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(row.map(SharedFile::from))
    }

    async fn files(&self, app: &AppId, group: GroupId) -> Result<Vec<SharedFile>, RepoError> {
        let rows: Vec<FileRow> = with_conn!(self, |conn| {
            in_app::group_files(app.as_str())
                .filter(group_files::group_id.eq(group.0))
                .order(group_files::id.desc())
                .select(FileRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        Ok(rows.into_iter().map(SharedFile::from).collect())
    }

    async fn rename_file(&self, app: &AppId, file: &SharedFile) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::update(
                in_app::group_files(app.as_str())
                    .filter(group_files::group_id.eq(file.group.0))
                    .filter(group_files::id.eq(file.id)),
            )
            .set((
                group_files::name.eq(&file.name),
                group_files::updated_at.eq(file.updated_at.0),
            ))
            .execute(conn)
            .await
            .map_err(err)?;
        });
        Ok(())
    }

    async fn delete_file(&self, app: &AppId, group: GroupId, id: i64) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::delete(
                in_app::group_files(app.as_str())
                    .filter(group_files::group_id.eq(group.0))
                    .filter(group_files::id.eq(id)),
            )
            .execute(conn)
            .await
            .map_err(err)?;
        });
        Ok(())
    }
}

#[async_trait]
impl GroupUsers for Store {
    async fn invitees(
        &self,
        app: &AppId,
        list: &[UserId],
    ) -> Result<Vec<(UserId, bool)>, RepoError> {
        let list = ids(list, |u| u.0);
        let rows: Vec<(i64, bool)> = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .filter(users::id.eq_any(&list))
                .order(users::id)
                .select((users::id, users::group_confirm))
                .load(conn)
                .await
                .map_err(err)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, confirm)| (UserId(id), confirm))
            .collect())
    }
}
