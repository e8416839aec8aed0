//! Operations on earlier messages: read receipts, recalls, appends and replacements.

use tidings_kernel::{AppId, Principal, UserId};

use super::{Messaging, SendRequest, Sent};
use crate::MessageError;
use crate::model::{ContentType, Message, Target};

impl Messaging {
    /// Recalls one of the caller's messages within the recall window: its content is gone
    /// from every history, and a RECALL operation is delivered to the conversation.
    ///
    /// # Errors
    /// 10002 for an unknown message or one of another conversation; 10010 for anyone but the
    /// sender, or after the window.
    pub async fn recall(
        &self,
        principal: &Principal,
        conversation: i64,
        message: i64,
    ) -> Result<(), MessageError> {
        let me = Self::me(principal)?;
        let related = self.related(&principal.app, message).await?;
        let target = self
            .participant_target(&principal.app, me, &related)
            .await?;
        if target.id() != conversation && related.to.id() != conversation {
            return Err(MessageError::invalid(
                "the message is not of that conversation",
            ));
        }
        self.recall_message(&principal.app, me, &related).await?;
        Ok(())
    }

    async fn recall_message(
        &self,
        app: &AppId,
        me: UserId,
        related: &Message,
    ) -> Result<Sent, MessageError> {
        if related.from != me {
            return Err(MessageError::NoPermission(
                "only the sender may recall a message".into(),
            ));
        }
        let deadline = related
            .created_at
            .plus_secs(self.deps.policy.recall_window_secs);
        if self.deps.clock.now() > deadline {
            return Err(MessageError::NoPermission(
                "the recall window has passed".into(),
            ));
        }
        if !self.deps.store.recall(app, related.id).await? {
            return Err(MessageError::invalid("the message was recalled already"));
        }
        self.deliver_operation(app, me, related, ContentType::Recall, String::new())
            .await
    }

    /// An operation sent through `/message/send` (content types 9–12).
    pub(crate) async fn operate(
        &self,
        principal: &Principal,
        sender: UserId,
        kind: ContentType,
        request: &SendRequest,
    ) -> Result<Sent, MessageError> {
        let app = &principal.app;
        let related_id = request
            .related_mid
            .filter(|id| *id > 0)
            .ok_or_else(|| MessageError::invalid("operations 9 to 12 need related_mid"))?;
        let related = self.related(app, related_id).await?;
        match kind {
            ContentType::ReadAck => {
                let (position, conversation) = self
                    .deps
                    .store
                    .copy(app, sender, related.id)
                    .await?
                    .ok_or_else(|| {
                        MessageError::invalid("the sender has no copy of related_mid")
                    })?;
                self.deps
                    .store
                    .mark_read(app, sender, conversation, position)
                    .await?;
                if related.from == sender || matches!(related.to, Target::Group(_)) {
                    return Ok(Sent {
                        ids: Vec::new(),
                        duplicate: false,
                    });
                }
                self.deliver_operation(app, sender, &related, kind, String::new())
                    .await
            }
            ContentType::Recall => self.recall_message(app, sender, &related).await,
            _ => {
                if related.from != sender {
                    return Err(MessageError::NoPermission(
                        "only the sender may append to or replace a message".into(),
                    ));
                }
                let content = if kind == ContentType::Append {
                    format!("{}{}", related.content, request.content)
                } else {
                    request.content.clone()
                };
                if content.len() > self.deps.policy.max_content_bytes {
                    return Err(MessageError::invalid("the edited content is too long"));
                }
                if !self.deps.store.edit(app, related.id, &content).await? {
                    return Err(MessageError::invalid("the message was recalled"));
                }
                self.deliver_operation(app, sender, &related, kind, request.content.clone())
                    .await
            }
        }
    }

    async fn related(&self, app: &AppId, id: i64) -> Result<Message, MessageError> {
        self.deps
            .store
            .message(app, id)
            .await?
            .ok_or_else(|| MessageError::invalid("related message does not exist"))
    }

    /// Where an operation by `me` on `related` goes: the other party of a 1:1 conversation,
    /// or the group. `me` must take part in the conversation.
    async fn participant_target(
        &self,
        app: &AppId,
        me: UserId,
        related: &Message,
    ) -> Result<Target, MessageError> {
        match related.to {
            Target::User(to) if related.from == me => Ok(Target::User(to)),
            Target::User(to) if to == me => Ok(Target::User(related.from)),
            Target::User(_) => Err(MessageError::invalid(
                "the message is not of the caller's conversations",
            )),
            Target::Group(group) => {
                let audience = self
                    .deps
                    .audience
                    .group(app, group, me)
                    .await?
                    .ok_or(MessageError::GroupNotFound)?;
                if audience.sender.is_none() {
                    return Err(MessageError::NotMember);
                }
                Ok(related.to)
            }
        }
    }

    /// Stores and delivers an operation message about `related` to its conversation.
    async fn deliver_operation(
        &self,
        app: &AppId,
        me: UserId,
        related: &Message,
        kind: ContentType,
        content: String,
    ) -> Result<Sent, MessageError> {
        let to = self.participant_target(app, me, related).await?;
        let recipients = self.recipients(app, me, to, true).await?;
        let message = Message {
            id: self.deps.ids.next_id(),
            from: me,
            to,
            content_type: kind,
            content,
            attachment: String::new(),
            config: String::new(),
            ext: String::new(),
            related: related.id,
            system: false,
            recalled: false,
            created_at: self.deps.clock.now(),
        };
        self.store(app, vec![(message, recipients)], None).await
    }
}
