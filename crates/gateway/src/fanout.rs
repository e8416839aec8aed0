//! The domain ports the gateway implements: live messages and receipts, roster and group
//! events, and presence with kicks. Everything goes out through the [`Bus`].

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use tidings_groups::model::GroupEvent;
use tidings_groups::ports::GroupEvents;
use tidings_kernel::{AppId, DeviceSn, UserId};
use tidings_messaging::model::{Delivery, Message};
use tidings_messaging::ports::{Audience, MessageEvents};
use tidings_roster::model::RosterEvent;
use tidings_roster::ports::RosterEvents;
use tidings_users::ports::Presence;

use crate::{Bus, Event, Hub};

/// Turns domain events into per-user [`Event`]s on the bus.
pub struct Fanout {
    bus: Arc<dyn Bus>,
    hub: Arc<Hub>,
    /// Who is in a group, for group events.
    audience: Arc<dyn Audience>,
}

impl Fanout {
    pub fn new(bus: Arc<dyn Bus>, hub: Arc<Hub>, audience: Arc<dyn Audience>) -> Self {
        Self { bus, hub, audience }
    }
}

#[async_trait]
impl MessageEvents for Fanout {
    async fn delivered(&self, app: &AppId, message: &Message, deliveries: &[Delivery]) {
        let shared = Arc::new(message.clone());
        let batch = deliveries
            .iter()
            .map(|d| {
                let event = Event::Message {
                    message: shared.clone(),
                    position: d.position,
                    conversation: d.conversation,
                };
                (d.user, event)
            })
            .collect();
        self.bus.publish(app, batch).await;
    }

    async fn read(&self, app: &AppId, reader: UserId, conversation: i64, message: i64) {
        let event = Event::Read {
            reader,
            conversation,
            message,
        };
        // The conversation id is the peer for 1:1 and the group otherwise; a group id has no
        // connections, so publishing to it reaches nobody.
        let batch = vec![(reader, event.clone()), (UserId(conversation), event)];
        self.bus.publish(app, batch).await;
    }
}

#[async_trait]
impl RosterEvents for Fanout {
    async fn publish(&self, app: &AppId, event: RosterEvent) {
        let (from, to) = (event.from, event.to);
        let shared = Arc::new(event);
        let mut batch = vec![(to, Event::Roster(shared.clone()))];
        if from != to {
            batch.push((from, Event::Roster(shared)));
        }
        self.bus.publish(app, batch).await;
    }
}

#[async_trait]
impl GroupEvents for Fanout {
    /// Every member hears of a group change, and so do the users it names (a kicked or
    /// invited user is not a member) and its author's other devices.
    async fn publish(&self, app: &AppId, event: GroupEvent) {
        let mut users: BTreeSet<UserId> = event.to.iter().copied().collect();
        if event.from.0 != 0 {
            users.insert(event.from);
        }
        match self.audience.group(app, event.group, event.from).await {
            Ok(Some(group)) => users.extend(group.members),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e.0, "group event reaches only the users it names"),
        }
        let shared = Arc::new(event);
        let batch = users
            .into_iter()
            .map(|u| (u, Event::Group(shared.clone())))
            .collect();
        self.bus.publish(app, batch).await;
    }
}

#[async_trait]
impl Presence for Fanout {
    /// Connections on this node only: several nodes need presence shared through the bus
    /// (the NATS issue).
    async fn is_online(&self, app: &AppId, user: UserId) -> bool {
        self.hub.is_online(app, user)
    }

    async fn is_device_online(&self, app: &AppId, user: UserId, device: DeviceSn) -> bool {
        self.hub.is_connected(app, user, device)
    }

    async fn disconnect(&self, app: &AppId, user: UserId, device: Option<DeviceSn>) {
        self.bus
            .publish(app, vec![(user, Event::Kick { device })])
            .await;
    }
}

#[cfg(test)]
mod tests {
    use tidings_kernel::{GroupId, Timestamp};
    use tidings_messaging::model::{ContentType, Target};
    use tidings_messaging::ports::{GroupAudience, MockAudience};

    use super::*;
    use crate::{LocalBus, Next};

    fn app() -> AppId {
        AppId::parse("app").unwrap_or_else(|_| unreachable!())
    }

    fn fanout(hub: &Arc<Hub>, audience: MockAudience) -> Fanout {
        Fanout::new(
            Arc::new(LocalBus::new(hub.clone())),
            hub.clone(),
            Arc::new(audience),
        )
    }

    #[tokio::test]
    async fn a_message_reaches_each_recipient_with_their_own_position() {
        let hub = Hub::new(8);
        let mut bob = hub.connect(app(), UserId(2), DeviceSn(1));
        let mut ann = hub.connect(app(), UserId(1), DeviceSn(2));
        let message = Message {
            id: 9,
            from: UserId(1),
            to: Target::User(UserId(2)),
            content_type: ContentType::Text,
            content: "hi".into(),
            attachment: String::new(),
            config: String::new(),
            ext: String::new(),
            related: 0,
            system: false,
            recalled: false,
            created_at: Timestamp(1),
        };
        let deliveries = [
            Delivery {
                user: UserId(1),
                position: 4,
                message: 9,
                conversation: 2,
            },
            Delivery {
                user: UserId(2),
                position: 7,
                message: 9,
                conversation: 1,
            },
        ];
        fanout(&hub, MockAudience::new())
            .delivered(&app(), &message, &deliveries)
            .await;
        for (c, want) in [(&mut bob, (7, 1)), (&mut ann, (4, 2))] {
            match c.next().await {
                Next::Event(Event::Message {
                    position,
                    conversation,
                    message,
                }) => {
                    assert_eq!((position, conversation, message.id), (want.0, want.1, 9));
                }
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn group_events_reach_members_and_the_users_they_name() {
        let hub = Hub::new(8);
        let mut member = hub.connect(app(), UserId(3), DeviceSn(1));
        let mut kicked = hub.connect(app(), UserId(4), DeviceSn(1));
        let mut audience = MockAudience::new();
        audience.expect_group().returning(|_, _, _| {
            Ok(Some(GroupAudience {
                members: vec![UserId(1), UserId(3)],
                sender: Some((2, 0)),
                ban_expire_time: 0,
                history_visible: false,
            }))
        });
        let event = GroupEvent {
            kind: tidings_groups::model::GroupEventKind::Kicked,
            group: GroupId(50),
            from: UserId(1),
            to: vec![UserId(4)],
            content: String::new(),
        };
        GroupEvents::publish(&fanout(&hub, audience), &app(), event).await;
        for c in [&mut member, &mut kicked] {
            assert!(matches!(c.next().await, Next::Event(Event::Group(_))));
        }
    }

    #[tokio::test]
    async fn presence_follows_connections_and_disconnect_kicks() {
        let hub = Hub::new(8);
        let f = fanout(&hub, MockAudience::new());
        assert!(!f.is_online(&app(), UserId(1)).await);
        let mut c = hub.connect(app(), UserId(1), DeviceSn(1));
        assert!(f.is_online(&app(), UserId(1)).await);
        f.disconnect(&app(), UserId(1), None).await;
        assert!(matches!(
            c.next().await,
            Next::Close(crate::CloseReason::Kicked)
        ));
        assert!(!f.is_online(&app(), UserId(1)).await);
    }
}
