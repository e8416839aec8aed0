//! Friends: the list, details, search, per-friend settings, deletion, and may-message.

use tidings_kernel::{AppId, Principal, UserId};

use super::apply::parse_cursor;
use super::{Roster, page_limit, text};
use crate::RosterError;
use crate::model::{FriendEntry, Relation, RosterEventKind, RosterItem, UserCard};

/// One page of friend ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriendPage {
    pub ids: Vec<UserId>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<String>,
    /// When the roster last changed (ms).
    pub version: i64,
}

const ALIAS_MAX: usize = 64;
const EXT_MAX: usize = 1024;

impl Roster {
    /// The caller's friends' ids, ascending, paged by `cursor` (the last id seen).
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] for a bad cursor or limit.
    pub async fn friends(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<FriendPage, RosterError> {
        let me = Self::me(principal)?;
        let limit = page_limit(limit)?;
        let after = parse_cursor(cursor)?.map(UserId);
        let app = &principal.app;
        let mut ids = self
            .deps
            .roster
            .friend_ids(app, me, after, limit + 1)
            .await?;
        let next = if ids.len() as i64 > limit {
            ids.truncate(limit as usize);
            ids.last().map(|id| id.0.to_string())
        } else {
            None
        };
        let version = self.deps.roster.roster_version(app, me).await?;
        Ok(FriendPage { ids, next, version })
    }

    /// The listed users as the caller sees them (unknown ids are left out).
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] for more than 1000 ids.
    pub async fn details(
        &self,
        principal: &Principal,
        ids: Vec<UserId>,
    ) -> Result<Vec<RosterItem>, RosterError> {
        let me = Self::me(principal)?;
        if ids.len() > 1000 {
            return Err(RosterError::invalid("at most 1000 ids"));
        }
        let app = &principal.app;
        let cards = self.deps.directory.users(app, &ids).await?;
        let entries = self.deps.roster.entries(app, me, &ids).await?;
        let blocked = self.deps.roster.blocked(app, me).await?;
        Ok(cards
            .into_iter()
            .map(|card| {
                let entry = entries.iter().find(|e| e.friend == card.id).cloned();
                let is_blocked = blocked.contains(&card.id);
                item(card, entry, is_blocked)
            })
            .collect())
    }

    /// Finds a user by id, as the caller sees them.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000).
    pub async fn find_by_id(
        &self,
        principal: &Principal,
        id: UserId,
    ) -> Result<RosterItem, RosterError> {
        let card = self.deps.directory.user(&principal.app, id).await?;
        self.seen_by_caller(principal, card).await
    }

    /// Finds a user by username, as the caller sees them.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000).
    pub async fn find_by_name(
        &self,
        principal: &Principal,
        name: &str,
    ) -> Result<RosterItem, RosterError> {
        let card = self
            .deps
            .directory
            .user_by_name(&principal.app, name)
            .await?;
        self.seen_by_caller(principal, card).await
    }

    /// Finds a user by mobile number, as the caller sees them.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000).
    pub async fn find_by_mobile(
        &self,
        principal: &Principal,
        mobile: &str,
    ) -> Result<RosterItem, RosterError> {
        let card = self
            .deps
            .directory
            .user_by_mobile(&principal.app, mobile)
            .await?;
        self.seen_by_caller(principal, card).await
    }

    async fn seen_by_caller(
        &self,
        principal: &Principal,
        card: Option<UserCard>,
    ) -> Result<RosterItem, RosterError> {
        let me = Self::me(principal)?;
        let card = card.ok_or(RosterError::UserNotFound)?;
        let app = &principal.app;
        let entry = self.deps.roster.entry(app, me, card.id).await?;
        let is_blocked = self.deps.roster.is_blocked(app, me, card.id).await?;
        Ok(item(card, entry, is_blocked))
    }

    /// Changes the caller's alias, ext and mute flag for a friend; fields given as `None`
    /// are kept.
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] when the user is not the caller's friend or a text is too
    /// long.
    pub async fn update_friend(
        &self,
        principal: &Principal,
        friend: UserId,
        alias: Option<String>,
        ext: Option<String>,
        mute_notification: Option<bool>,
    ) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        let mut entry = self.active_entry(app, me, friend).await?;
        if alias.is_some() {
            entry.alias = text("alias", alias, ALIAS_MAX)?;
        }
        if ext.is_some() {
            entry.ext = text("ext", ext, EXT_MAX)?;
        }
        if let Some(mute) = mute_notification {
            entry.mute_notification = mute;
        }
        entry.updated_at = self.deps.clock.now();
        self.deps.roster.update_entry(app, &entry).await?;
        self.publish(app, RosterEventKind::InfoUpdated, me, friend, "")
            .await;
        Ok(())
    }

    /// Ends a friendship in both directions.
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] when the user is not the caller's friend.
    pub async fn delete_friend(
        &self,
        principal: &Principal,
        friend: UserId,
    ) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        self.active_entry(app, me, friend).await?;
        self.deps
            .roster
            .remove_friends(app, me, friend, self.deps.clock.now())
            .await?;
        self.publish(app, RosterEventKind::Removed, me, friend, "")
            .await;
        Ok(())
    }

    async fn active_entry(
        &self,
        app: &AppId,
        me: UserId,
        friend: UserId,
    ) -> Result<FriendEntry, RosterError> {
        self.deps
            .roster
            .entry(app, me, friend)
            .await?
            .filter(|e| e.active)
            .ok_or_else(|| RosterError::invalid("the user is not your friend"))
    }

    /// Whether `user` may message `other`: both exist and neither blocked the other.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000) when either does not exist.
    pub async fn may_message(
        &self,
        principal: &Principal,
        user: UserId,
        other: UserId,
    ) -> Result<bool, RosterError> {
        let app = &principal.app;
        for id in [user, other] {
            if self.deps.directory.user(app, id).await?.is_none() {
                return Err(RosterError::UserNotFound);
            }
        }
        Ok(!self.deps.roster.is_blocked(app, user, other).await?
            && !self.deps.roster.is_blocked(app, other, user).await?)
    }
}

fn item(card: UserCard, entry: Option<FriendEntry>, is_blocked: bool) -> RosterItem {
    let relation = match (&entry, is_blocked) {
        (_, true) => Relation::Blocked,
        (Some(e), false) if e.active => Relation::Friend,
        (Some(_), false) => Relation::Deleted,
        (None, false) => Relation::Stranger,
    };
    let entry = entry.filter(|e| e.active);
    RosterItem {
        card,
        alias: entry.as_ref().map(|e| e.alias.clone()).unwrap_or_default(),
        ext: entry.as_ref().map(|e| e.ext.clone()).unwrap_or_default(),
        mute_notification: entry.is_some_and(|e| e.mute_notification),
        relation,
    }
}
