//! Who is calling, after authentication and impersonation have been applied.

use crate::{AppId, DeviceSn, GroupId, UserId};

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The app every read and write of this request is scoped to.
    pub app: AppId,
    pub actor: Actor,
}

/// What the caller may act as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An admin token with no impersonation header: app-level operations.
    Admin,
    /// An admin token with the `user_id` header: runs as that user, with admin rights
    /// where an operation grants them (for example deleting without a password).
    AdminAsUser(UserId),
    /// An admin token with the `group_id` header: runs with admin rights on that group.
    AdminOfGroup(GroupId),
    /// A user token: the user itself, on the device the token was issued for.
    User { user: UserId, device: DeviceSn },
}

impl Principal {
    /// The user this call acts as, if any.
    pub fn user(&self) -> Option<UserId> {
        match self.actor {
            Actor::AdminAsUser(user) | Actor::User { user, .. } => Some(user),
            Actor::Admin | Actor::AdminOfGroup(_) => None,
        }
    }

    /// Whether the call carries an admin token (impersonating or not).
    pub fn is_admin(&self) -> bool {
        !matches!(self.actor, Actor::User { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppId {
        AppId::parse("a").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_user_token_acts_as_its_user_and_is_not_admin() {
        let p = Principal {
            app: app(),
            actor: Actor::User {
                user: UserId(5),
                device: DeviceSn(1),
            },
        };
        assert_eq!(p.user(), Some(UserId(5)));
        assert!(!p.is_admin());
    }

    #[test]
    fn an_impersonating_admin_acts_as_the_user_and_stays_admin() {
        let p = Principal {
            app: app(),
            actor: Actor::AdminAsUser(UserId(9)),
        };
        assert_eq!(p.user(), Some(UserId(9)));
        assert!(p.is_admin());
    }

    #[test]
    fn a_plain_admin_acts_as_no_user() {
        for actor in [Actor::Admin, Actor::AdminOfGroup(GroupId(3))] {
            let p = Principal { app: app(), actor };
            assert_eq!(p.user(), None);
            assert!(p.is_admin());
        }
    }
}
