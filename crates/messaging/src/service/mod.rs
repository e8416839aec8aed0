//! The messaging service, [`Messaging`]: sending (here), reading and acknowledging
//! (`reads`), and recalls and edits (`operations`).

mod operations;
pub(crate) mod reads;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tidings_kernel::{Actor, AppId, Clock, GroupId, IdGenerator, Principal, UserId};

use crate::MessageError;
use crate::model::{ContentType, Delivery, Message, Recipient, Target};
use crate::ports::{Appended, Audience, MessageEvents, MessageStore};

/// Limits and windows of messaging.
#[derive(Clone, Debug)]
pub struct MessagingPolicy {
    /// Largest `content` (and each of `attachment`, `config`, `ext`) in bytes (default 64 KB).
    pub max_content_bytes: usize,
    /// How long a `transaction_id` is remembered, in seconds (default 24 h).
    pub dedup_window_secs: i64,
    /// How long after sending a message may be recalled, in seconds (default 5 minutes).
    pub recall_window_secs: i64,
    /// At most this many targets in one send.
    pub max_targets: usize,
}

impl Default for MessagingPolicy {
    fn default() -> Self {
        Self {
            max_content_bytes: 64 * 1024,
            dedup_window_secs: 24 * 3600,
            recall_window_secs: 5 * 60,
            max_targets: 100,
        }
    }
}

/// Everything [`Messaging`] needs from outside.
pub struct MessagingDeps {
    pub store: Arc<dyn MessageStore>,
    pub audience: Arc<dyn Audience>,
    /// Live delivery to connected devices.
    pub events: Arc<dyn MessageEvents>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub policy: MessagingPolicy,
}

/// The messaging service.
#[derive(Clone)]
pub struct Messaging {
    deps: Arc<MessagingDeps>,
}

/// A send, as `/message/send` and `/message/notify` take it.
#[derive(Clone, Debug, Default)]
pub struct SendRequest {
    pub targets: Vec<i64>,
    /// 1 users, 2 groups.
    pub kind: i64,
    pub content_type: i64,
    pub content: String,
    pub attachment: String,
    pub config: String,
    pub ext: String,
    /// With an admin token: the sender.
    pub from_user_id: Option<i64>,
    pub transaction_id: Option<i64>,
    /// The message an operation (9–12) acts on.
    pub related_mid: Option<i64>,
    /// Deliver to connected devices only; nothing is stored (and `transaction_id` is not
    /// remembered).
    pub online_only: bool,
    /// `/message/notify`.
    pub system: bool,
}

/// What a send answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// One id per target, in target order.
    pub ids: Vec<i64>,
    /// `true` when a repeated `transaction_id` made this answer the first send's.
    pub duplicate: bool,
}

impl Messaging {
    pub fn new(deps: MessagingDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    /// The user the call acts as.
    pub(crate) fn me(principal: &Principal) -> Result<UserId, MessageError> {
        principal.user().ok_or_else(|| {
            MessageError::invalid(
                "this operation acts as a user: send the user_id header with an admin token",
            )
        })
    }

    /// Who sends: the caller, or with an admin token `from_user_id`, or for a system message
    /// from an admin token naming no one, the app itself ([`UserId::SYSTEM`]).
    fn sender(
        principal: &Principal,
        from: Option<i64>,
        system: bool,
    ) -> Result<UserId, MessageError> {
        match (&principal.actor, from) {
            (Actor::Admin | Actor::AdminOfGroup(_), None) if system => Ok(UserId::SYSTEM),
            (Actor::User { user, .. }, Some(from)) if from != user.0 => Err(
                MessageError::NoPermission("a user token sends only as its own user".into()),
            ),
            (Actor::User { user, .. } | Actor::AdminAsUser(user), None) => Ok(*user),
            (Actor::User { user, .. }, Some(_)) => Ok(*user),
            (_, Some(from)) => Ok(UserId(from)),
            (Actor::Admin | Actor::AdminOfGroup(_), None) => Err(MessageError::invalid(
                "an admin token sends with from_user_id (or the user_id header)",
            )),
        }
    }

    /// Sends a message to each target (users or groups, never mixed), storing and
    /// delivering it in one transaction; operations (9–12) act on `related_mid` instead.
    ///
    /// # Errors
    /// 10002 for bad input; 10000 for an unknown sender or user target; 10010 for a banned or
    /// muted sender, a non-admin under `ban_all`, or a user token naming another sender;
    /// 10006 when the receiver blocked the sender; 20001 for an unknown group; 20002 when the
    /// sender is not a member.
    pub async fn send(
        &self,
        principal: &Principal,
        request: SendRequest,
    ) -> Result<Sent, MessageError> {
        let sender = Self::sender(principal, request.from_user_id, request.system)?;
        let content_type = ContentType::from_code(request.content_type)?;
        if sender == UserId::SYSTEM && content_type.is_operation() {
            return Err(MessageError::invalid(
                "operations 9 to 12 act as a user: send from_user_id",
            ));
        }
        self.check_sizes(&request)?;
        let app = &principal.app;
        let max_targets = self.deps.policy.max_targets;
        // A send of content to users reads everything its rules need in one lookup.
        let direct = if request.kind == 1
            && !content_type.is_operation()
            && (1..=max_targets).contains(&request.targets.len())
        {
            let targets: Vec<UserId> = request.targets.iter().map(|&t| UserId(t)).collect();
            Some(self.deps.audience.direct(app, sender, &targets).await?)
        } else {
            None
        };
        let sender_state = match &direct {
            // The app itself is never banned.
            _ if sender == UserId::SYSTEM => Some(false),
            Some(direct) => direct.sender,
            None => self.deps.audience.user(app, sender).await?,
        };
        match sender_state {
            None => return Err(MessageError::UserNotFound),
            Some(true) => return Err(MessageError::NoPermission("the sender is banned".into())),
            Some(false) => {}
        }
        if content_type.is_operation() {
            return self
                .operate(principal, sender, content_type, &request)
                .await;
        }
        if !(1..=max_targets).contains(&request.targets.len()) {
            return Err(MessageError::invalid(format!(
                "targets must hold 1 to {max_targets} ids"
            )));
        }
        let mut sends = Vec::with_capacity(request.targets.len());
        for &target in &request.targets {
            let to = match request.kind {
                1 => Target::User(UserId(target)),
                2 => Target::Group(GroupId(target)),
                _ => {
                    return Err(MessageError::invalid(
                        "type must be 1 (users) or 2 (groups)",
                    ));
                }
            };
            let recipients = match (&direct, to) {
                (Some(direct), Target::User(user)) => Self::one_to_one(
                    sender,
                    user,
                    direct.targets.get(&user).copied(),
                    request.system,
                )?,
                _ => self.recipients(app, sender, to, request.system).await?,
            };
            let message = Message {
                id: self.deps.ids.next_id(),
                from: sender,
                to,
                content_type,
                content: request.content.clone(),
                attachment: request.attachment.clone(),
                config: request.config.clone(),
                ext: request.ext.clone(),
                related: 0,
                system: request.system,
                recalled: false,
                created_at: self.deps.clock.now(),
            };
            sends.push((message, recipients));
        }
        if request.online_only {
            return Ok(self.deliver_online_only(app, sends).await);
        }
        self.store(app, sends, request.transaction_id).await
    }

    fn check_sizes(&self, r: &SendRequest) -> Result<(), MessageError> {
        let max = self.deps.policy.max_content_bytes;
        for (name, value) in [
            ("content", &r.content),
            ("attachment", &r.attachment),
            ("config", &r.config),
            ("ext", &r.ext),
        ] {
            if value.len() > max {
                return Err(MessageError::invalid(format!(
                    "{name} must be at most {max} bytes"
                )));
            }
        }
        Ok(())
    }

    /// Who receives a message to `to` from `sender`, checking the send rules.
    pub(crate) async fn recipients(
        &self,
        app: &AppId,
        sender: UserId,
        to: Target,
        system: bool,
    ) -> Result<Vec<Recipient>, MessageError> {
        match to {
            Target::User(user) => {
                if user == sender {
                    return Self::one_to_one(sender, user, None, system);
                }
                // The same one-query lookup as a send's (used here by operations).
                let state = self
                    .deps
                    .audience
                    .direct(app, sender, &[user])
                    .await?
                    .targets
                    .get(&user)
                    .copied();
                Self::one_to_one(sender, user, state, system)
            }
            Target::Group(group) => {
                let audience = self
                    .deps
                    .audience
                    .group(app, group, sender)
                    .await?
                    .ok_or(MessageError::GroupNotFound)?;
                let now = self.deps.clock.now();
                match audience.sender {
                    None if !system => return Err(MessageError::NotMember),
                    Some((_, muted)) if !system && (muted == -1 || muted > now.0) => {
                        return Err(MessageError::NoPermission(
                            "the sender is muted in the group".into(),
                        ));
                    }
                    Some((role, _))
                        if !system
                            && role < 1
                            && (audience.ban_expire_time == -1
                                || audience.ban_expire_time * 1000 > now.0) =>
                    {
                        return Err(MessageError::NoPermission(
                            "only admins may send while the group is muted".into(),
                        ));
                    }
                    _ => {}
                }
                Ok(audience
                    .members
                    .iter()
                    .map(|&user| Recipient {
                        user,
                        conversation: group.0,
                        is_sender: user == sender,
                    })
                    .collect())
            }
        }
    }

    /// The recipients of a message from `sender` to `user`: `blocked` is `None` when `user`
    /// does not exist, else whether `user` blocked the sender (which a system message
    /// ignores).
    fn one_to_one(
        sender: UserId,
        user: UserId,
        blocked: Option<bool>,
        system: bool,
    ) -> Result<Vec<Recipient>, MessageError> {
        if user == sender {
            return Err(MessageError::invalid(
                "a message to oneself has no receiver",
            ));
        }
        match blocked {
            None => return Err(MessageError::UserNotFound),
            Some(true) if !system => return Err(MessageError::Blocked),
            Some(_) => {}
        }
        let receiver = Recipient {
            user,
            conversation: sender.0,
            is_sender: false,
        };
        if sender == UserId::SYSTEM {
            // The app has no inbox: only the receiver's copy, in conversation 0.
            return Ok(vec![receiver]);
        }
        Ok(vec![
            receiver,
            Recipient {
                user: sender,
                conversation: user.0,
                is_sender: true,
            },
        ])
    }

    async fn store(
        &self,
        app: &AppId,
        sends: Vec<(Message, Vec<Recipient>)>,
        transaction_id: Option<i64>,
    ) -> Result<Sent, MessageError> {
        let window_start = self
            .deps
            .clock
            .now()
            .plus_secs(-self.deps.policy.dedup_window_secs);
        let dedup = transaction_id.map(|id| (id, window_start));
        match self.deps.store.append(app, &sends, dedup).await? {
            Appended::Stored(deliveries) => {
                for (message, _) in &sends {
                    let mine: Vec<Delivery> = deliveries
                        .iter()
                        .filter(|d| d.message == message.id)
                        .copied()
                        .collect();
                    self.deps.events.delivered(app, message, &mine).await;
                }
                Ok(Sent {
                    ids: sends.iter().map(|(m, _)| m.id).collect(),
                    duplicate: false,
                })
            }
            Appended::Duplicate(ids) => Ok(Sent {
                ids,
                duplicate: true,
            }),
        }
    }

    /// Hands `online_only` messages to connected devices without storing them: they have
    /// no position, and a device that is offline never sees them.
    async fn deliver_online_only(
        &self,
        app: &AppId,
        sends: Vec<(Message, Vec<Recipient>)>,
    ) -> Sent {
        for (message, recipients) in &sends {
            let deliveries: Vec<Delivery> = recipients
                .iter()
                .map(|r| Delivery {
                    user: r.user,
                    position: 0,
                    message: message.id,
                    conversation: r.conversation,
                })
                .collect();
            self.deps.events.delivered(app, message, &deliveries).await;
        }
        Sent {
            ids: sends.iter().map(|(m, _)| m.id).collect(),
            duplicate: false,
        }
    }

    /// The caller's newest position: where a device connecting now starts following.
    ///
    /// # Errors
    /// 10002 for an admin token without `user_id`.
    pub async fn last_position(&self, principal: &Principal) -> Result<i64, MessageError> {
        let me = Self::me(principal)?;
        Ok(self.deps.store.last_position(&principal.app, me).await?)
    }
}
