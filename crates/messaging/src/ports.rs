//! Outbound ports of the messaging domain. Every method is scoped by app.

use std::collections::HashMap;

use async_trait::async_trait;
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

use crate::RepoError;
use crate::model::{Delivery, Message, Recipient};

/// What a send with a `transaction_id` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Stored now, with each recipient's position.
    Stored(Vec<Delivery>),
    /// The same sender sent the same `transaction_id` within the window: nothing was stored;
    /// these are the ids the first send answered.
    Duplicate(Vec<i64>),
}

/// A dedup key: `(transaction id, earliest time a first send still counts)`.
pub type DedupKey = (i64, Timestamp);

/// One send's messages with their recipients, as [`MessageStore::append`] takes them, and
/// the app they belong to: an element of [`MessageStore::append_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Append {
    pub app: AppId,
    pub sends: Vec<(Message, Vec<Recipient>)>,
    pub dedup: Option<DedupKey>,
}

/// Messages, inboxes and read positions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores messages (one per target of a send) and delivers each to its recipients, all
    /// in one transaction: every recipient's next position is taken under that user's
    /// position row lock (in user id order), so positions commit in order and a reader
    /// resuming after a position can never skip one. The sender's own copy lands read, and
    /// operations (content types 9–12) never count as unread.
    /// With `dedup`, a repeat of the same sender's transaction id within the window stores
    /// nothing and answers [`Appended::Duplicate`].
    async fn append(
        &self,
        app: &AppId,
        sends: &[(Message, Vec<Recipient>)],
        dedup: Option<DedupKey>,
    ) -> Result<Appended, RepoError>;
    /// Several independent appends (of any apps) in one transaction, each exactly as
    /// [`MessageStore::append`] stores it: one outcome per append, in order. A storage error
    /// stores none of them. This is the store side of group commit
    /// ([`crate::group_commit::GroupCommit`]).
    async fn append_batch(&self, batch: &[Append]) -> Result<Vec<Appended>, RepoError>;
    async fn message(&self, app: &AppId, id: i64) -> Result<Option<Message>, RepoError>;
    /// The user's newest position (0 before anything was delivered): where a device that
    /// connects now starts following.
    async fn last_position(&self, app: &AppId, user: UserId) -> Result<i64, RepoError>;
    /// The user's copies in one conversation with message ids below `before`, newest first,
    /// at most `limit`, each with its position.
    async fn history(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(Message, i64)>, RepoError>;
    /// Every message sent to the group with ids below `before`, newest first (for members
    /// who may see history from before they joined).
    async fn group_history(
        &self,
        app: &AppId,
        group: GroupId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>, RepoError>;
    /// Everything delivered to the user after `position`, in position order, at most `limit`,
    /// each with its position and conversation: what a reconnecting device missed.
    async fn since(
        &self,
        app: &AppId,
        user: UserId,
        position: i64,
        limit: i64,
    ) -> Result<Vec<(Message, i64, i64)>, RepoError>;
    /// The user's read position in a conversation (0 when nothing was read).
    async fn read_position(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<i64, RepoError>;
    /// The user's copy of a message: its position and conversation.
    async fn copy(
        &self,
        app: &AppId,
        user: UserId,
        message: i64,
    ) -> Result<Option<(i64, i64)>, RepoError>;
    /// Moves the user's read position in a conversation up to `position` (never backwards).
    async fn mark_read(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        position: i64,
    ) -> Result<(), RepoError>;
    /// Per conversation with unread messages: how many of the user's copies from others lie
    /// after the read position. Exact by construction: a count of rows, not a counter.
    async fn unread(&self, app: &AppId, user: UserId) -> Result<Vec<(i64, i64)>, RepoError>;
    /// Removes a conversation from the user's inbox (other users keep theirs).
    async fn delete_conversation(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<(), RepoError>;
    /// Recalls a message: its content, attachment, config and ext are gone from every
    /// history. `false` when it was recalled already.
    async fn recall(&self, app: &AppId, id: i64) -> Result<bool, RepoError>;
    /// Replaces a message's content (an APPEND or REPLACE operation); `false` when it was
    /// recalled.
    async fn edit(&self, app: &AppId, id: i64, content: &str) -> Result<bool, RepoError>;
}

/// What a group send needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupAudience {
    pub members: Vec<UserId>,
    /// The sender's role (0 member, 1 admin, 2 owner) and mute (ms; 0 none, −1 for ever), if
    /// the sender is a member.
    pub sender: Option<(i64, i64)>,
    /// Seconds since the epoch until which only admins may send; 0 none, −1 for ever.
    pub ban_expire_time: i64,
    pub history_visible: bool,
}

/// What a send to users needs to know, read in one lookup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectAudience {
    /// Whether the sender exists, and if so whether it is banned.
    pub sender: Option<bool>,
    /// The targets that exist, each with whether it blocked the sender.
    pub targets: HashMap<UserId, bool>,
}

/// One send's lookup, as [`Audience::direct`] takes it: an element of
/// [`Audience::direct_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectQuery {
    pub app: AppId,
    pub sender: UserId,
    pub targets: Vec<UserId>,
}

/// What messaging needs to know of users, rosters and groups.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Audience: Send + Sync {
    /// Whether a user exists, and if so whether it is banned.
    async fn user(&self, app: &AppId, id: UserId) -> Result<Option<bool>, RepoError>;
    /// Whether `owner` blocked `other`.
    async fn blocked(&self, app: &AppId, owner: UserId, other: UserId) -> Result<bool, RepoError>;
    /// For a send from `sender` to users: the sender's state, and which targets exist and
    /// blocked the sender, in one lookup (what [`Audience::user`] and [`Audience::blocked`]
    /// answer one by one).
    async fn direct(
        &self,
        app: &AppId,
        sender: UserId,
        targets: &[UserId],
    ) -> Result<DirectAudience, RepoError>;
    /// Several sends' lookups (of any apps) in one query, each answered as
    /// [`Audience::direct`] answers it, in order.
    async fn direct_batch(&self, queries: &[DirectQuery])
    -> Result<Vec<DirectAudience>, RepoError>;
    /// A live group's members and send rules as they apply to `sender`.
    async fn group(
        &self,
        app: &AppId,
        group: GroupId,
        sender: UserId,
    ) -> Result<Option<GroupAudience>, RepoError>;
}

/// Where messages go once stored, to reach connected devices: the gateway's fan-out. Called
/// after the store committed, so a receiver that misses an event finds the message by
/// position. Implementations hand events over without waiting for any receiver.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MessageEvents: Send + Sync {
    /// A message and every delivery of it (each recipient's position and conversation).
    async fn delivered(&self, app: &AppId, message: &Message, deliveries: &[Delivery]);
    /// `reader` read `conversation` up to `message`: the reader's other devices (and, in a
    /// 1:1 conversation, the peer, as a read receipt) are told.
    async fn read(&self, app: &AppId, reader: UserId, conversation: i64, message: i64);
}
