//! Roster entities and values.

use tidings_kernel::{Timestamp, UserId};

/// How one user stands to another, as MaxIM numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Friend = 0,
    /// Was a friend; the friendship was deleted.
    Deleted = 1,
    Stranger = 2,
    /// The viewer blocked the other user.
    Blocked = 3,
}

impl Relation {
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One direction of a friendship: `owner`'s view of `friend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriendEntry {
    pub owner: UserId,
    pub friend: UserId,
    /// `false` once the friendship was deleted (the entry stays so `relation` can say 1).
    pub active: bool,
    pub alias: String,
    pub ext: String,
    pub mute_notification: bool,
    pub updated_at: Timestamp,
}

/// The state of a friend application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationStatus {
    Pending = 0,
    Accepted = 1,
    Declined = 2,
}

impl ApplicationStatus {
    pub fn code(self) -> i64 {
        self as i64
    }

    /// # Errors
    /// When the code is not 0, 1 or 2.
    pub fn from_code(code: i64) -> Result<Self, String> {
        match code {
            0 => Ok(Self::Pending),
            1 => Ok(Self::Accepted),
            2 => Ok(Self::Declined),
            other => Err(format!("application status {other}")),
        }
    }
}

/// `applicant` asks `target` to become friends. One per pair: applying again replaces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    /// Time-ordered id; the application list pages by it.
    pub id: i64,
    pub applicant: UserId,
    pub target: UserId,
    pub reason: String,
    /// The alias the applicant gives the target once they are friends.
    pub alias: String,
    pub status: ApplicationStatus,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

impl Application {
    /// Whether it still waits for an answer at `now`.
    pub fn is_open_at(&self, now: Timestamp) -> bool {
        self.status == ApplicationStatus::Pending && now < self.expires_at
    }
}

/// What the roster knows of a user: the public profile and how to befriend them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserCard {
    pub id: UserId,
    pub username: String,
    pub nick_name: String,
    pub avatar: String,
    pub description: String,
    pub public_info: String,
    /// 0 anyone, 1 consent, 2 question, 3 reject all.
    pub auth_mode: i64,
    pub auth_question: String,
    pub auth_answer: String,
}

/// A user as seen by the caller: card, the caller's alias/ext/mute for them, and the relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterItem {
    pub card: UserCard,
    pub alias: String,
    pub ext: String,
    pub mute_notification: bool,
    pub relation: Relation,
}

/// What happened in a roster, for the gateway to tell connected devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterEventKind {
    Applied,
    Accepted,
    Declined,
    Added,
    Removed,
    Blocked,
    Unblocked,
    InfoUpdated,
}

/// A roster change: `from` did `kind` to `to`; `content` is the reason, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEvent {
    pub kind: RosterEventKind,
    pub from: UserId,
    pub to: UserId,
    pub content: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_is_open_while_pending_and_unexpired() {
        let mut a = Application {
            id: 1,
            applicant: UserId(1),
            target: UserId(2),
            reason: String::new(),
            alias: String::new(),
            status: ApplicationStatus::Pending,
            expires_at: Timestamp(100),
            created_at: Timestamp(0),
        };
        assert!(a.is_open_at(Timestamp(99)));
        assert!(!a.is_open_at(Timestamp(100)));
        a.status = ApplicationStatus::Declined;
        assert!(!a.is_open_at(Timestamp(0)));
    }

    #[test]
    fn codes_match_maxim() {
        assert_eq!(Relation::Friend.code(), 0);
        assert_eq!(Relation::Deleted.code(), 1);
        assert_eq!(Relation::Stranger.code(), 2);
        assert_eq!(Relation::Blocked.code(), 3);
        assert_eq!(
            ApplicationStatus::from_code(2),
            Ok(ApplicationStatus::Declined)
        );
        assert!(ApplicationStatus::from_code(3).is_err());
    }
}
