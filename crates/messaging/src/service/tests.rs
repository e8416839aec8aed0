//! Unit tests of the messaging rules against mockall mocks of the ports.

use std::sync::Arc;

use mockall::predicate::{always, eq};
use tidings_kernel::{
    Actor, AppId, DeviceSn, GroupId, MockClock, MockIdGenerator, Principal, Timestamp, UserId,
};

use super::*;
use crate::model::Delivery;
use crate::model::{ContentType, Message, Target};
use crate::ports::{
    Appended, DirectAudience, GroupAudience, MockAudience, MockMessageEvents, MockMessageStore,
};

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const ANN: UserId = UserId(1);
const BOB: UserId = UserId(2);
const G: GroupId = GroupId(50);

fn app() -> AppId {
    AppId::parse("app").unwrap_or_else(|_| unreachable!())
}

fn as_user(user: UserId) -> Principal {
    Principal {
        app: app(),
        actor: Actor::User {
            user,
            device: DeviceSn(1),
        },
    }
}

fn text(targets: Vec<i64>, kind: i64) -> SendRequest {
    SendRequest {
        targets,
        kind,
        content: "hi".into(),
        ..SendRequest::default()
    }
}

/// Users below 10 exist, 9 is banned, and nobody blocked anybody.
fn audience() -> MockAudience {
    audience_blocking(|_, _| false)
}

/// Like [`audience`], with `blocks(owner, other)` telling whether `owner` blocked `other`.
fn audience_blocking(blocks: fn(UserId, UserId) -> bool) -> MockAudience {
    let exists = |id: UserId| (id.0 < 10).then_some(id.0 == 9);
    let mut a = MockAudience::new();
    a.expect_user().returning(move |_, id| Ok(exists(id)));
    a.expect_blocked()
        .returning(move |_, owner, other| Ok(blocks(owner, other)));
    a.expect_direct().returning(move |_, sender, targets| {
        Ok(DirectAudience {
            sender: exists(sender),
            targets: targets
                .iter()
                .filter(|&&t| exists(t).is_some())
                .map(|&t| (t, blocks(t, sender)))
                .collect(),
        })
    });
    a
}

fn quiet_events() -> MockMessageEvents {
    let mut events = MockMessageEvents::new();
    events.expect_delivered().return_const(());
    events.expect_read().return_const(());
    events
}

fn messaging(store: MockMessageStore, audience: MockAudience) -> Messaging {
    messaging_with(store, audience, quiet_events())
}

fn messaging_with(
    store: MockMessageStore,
    audience: MockAudience,
    events: MockMessageEvents,
) -> Messaging {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    let mut ids = MockIdGenerator::new();
    let mut next = 100;
    ids.expect_next_id().returning(move || {
        next += 1;
        next
    });
    Messaging::new(MessagingDeps {
        store: Arc::new(store),
        audience: Arc::new(audience),
        events: Arc::new(events),
        ids: Arc::new(ids),
        clock: Arc::new(clock),
        policy: MessagingPolicy {
            max_content_bytes: 10,
            ..MessagingPolicy::default()
        },
    })
}

fn message(id: i64, from: UserId, to: Target, created_at: Timestamp) -> Message {
    Message {
        id,
        from,
        to,
        content_type: ContentType::Text,
        content: "old".into(),
        attachment: String::new(),
        config: String::new(),
        ext: String::new(),
        related: 0,
        system: false,
        recalled: false,
        created_at,
    }
}

#[tokio::test]
async fn a_one_to_one_message_reaches_the_receiver_and_the_senders_other_devices() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store
        .expect_append()
        .withf(|_, sends, dedup| {
            let (m, r) = &sends[0];
            sends.len() == 1
                && m.from == ANN
                && m.to == Target::User(BOB)
                && r.len() == 2
                && r[0].user == BOB
                && r[0].conversation == ANN.0
                && !r[0].is_sender
                && r[1].user == ANN
                && r[1].conversation == BOB.0
                && r[1].is_sender
                && dedup.is_none()
        })
        .times(1)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let sent = messaging(store, a)
        .send(&as_user(ANN), text(vec![BOB.0], 1))
        .await;
    assert_eq!(sent.ok().map(|s| s.ids), Some(vec![101]));
}

#[tokio::test]
async fn a_system_message_from_no_one_comes_from_the_app_and_has_only_the_receivers_copy() {
    let mut store = MockMessageStore::new();
    store
        .expect_append()
        .withf(|_, sends, _| {
            let (m, r) = &sends[0];
            m.from == UserId::SYSTEM
                && m.system
                && r.len() == 1
                && r[0].user == BOB
                && r[0].conversation == 0
        })
        .times(1)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let admin = Principal {
        app: app(),
        actor: Actor::Admin,
    };
    let m = messaging(store, audience());
    let notice = SendRequest {
        system: true,
        ..text(vec![BOB.0], 1)
    };
    assert!(m.send(&admin, notice).await.is_ok());
    // Not a system message: an admin still names its sender.
    let plain = m.send(&admin, text(vec![BOB.0], 1)).await;
    assert!(matches!(plain, Err(MessageError::InvalidInput(_))));
}

#[tokio::test]
async fn a_send_to_users_reads_its_rules_in_one_lookup() {
    // No expectation of `user` or `blocked`: calling either would fail the test.
    let mut a = MockAudience::new();
    a.expect_direct()
        .with(eq(app()), eq(ANN), eq(vec![BOB, UserId(3)]))
        .times(1)
        .returning(|_, _, _| {
            Ok(DirectAudience {
                sender: Some(false),
                targets: [(BOB, false), (UserId(3), false)].into(),
            })
        });
    let mut store = MockMessageStore::new();
    store
        .expect_append()
        .withf(|_, sends, _| sends.len() == 2)
        .times(1)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let sent = messaging(store, a)
        .send(&as_user(ANN), text(vec![BOB.0, 3], 1))
        .await;
    assert_eq!(sent.ok().map(|s| s.ids.len()), Some(2));
}

#[tokio::test]
async fn refusals_blocked_unknown_banned_oversized_and_bad_types() {
    let a = audience_blocking(|owner, _| owner == BOB);
    let m = messaging(MockMessageStore::new(), a);
    let blocked = m.send(&as_user(ANN), text(vec![BOB.0], 1)).await;
    assert!(matches!(blocked, Err(MessageError::Blocked)));
    let unknown = m.send(&as_user(ANN), text(vec![42], 1)).await;
    assert!(matches!(unknown, Err(MessageError::UserNotFound)));
    let banned = m.send(&as_user(UserId(9)), text(vec![BOB.0], 1)).await;
    assert!(matches!(banned, Err(MessageError::NoPermission(_))));
    let mut big = text(vec![BOB.0], 1);
    big.content = "x".repeat(11);
    assert!(matches!(
        m.send(&as_user(ANN), big).await,
        Err(MessageError::InvalidInput(_))
    ));
    let mut bad = text(vec![BOB.0], 3);
    bad.kind = 3;
    assert!(matches!(
        m.send(&as_user(ANN), bad).await,
        Err(MessageError::InvalidInput(_))
    ));
    let mut eight = text(vec![BOB.0], 1);
    eight.content_type = 8;
    assert!(matches!(
        m.send(&as_user(ANN), eight).await,
        Err(MessageError::InvalidInput(_))
    ));
    let mut other = text(vec![BOB.0], 1);
    other.from_user_id = Some(BOB.0);
    assert!(matches!(
        m.send(&as_user(ANN), other).await,
        Err(MessageError::NoPermission(_))
    ));
}

fn group_audience(sender: Option<(i64, i64)>, ban_expire_time: i64) -> MockAudience {
    let mut a = audience();
    a.expect_group()
        .with(always(), eq(G), always())
        .returning(move |_, _, _| {
            Ok(Some(GroupAudience {
                members: vec![ANN, BOB, UserId(3)],
                sender,
                ban_expire_time,
                history_visible: false,
            }))
        });
    a
}

#[tokio::test]
async fn group_messages_follow_membership_mutes_and_ban_all() {
    let cases = [
        (None, 0, Some("not a member of the group")),
        (Some((0, -1)), 0, Some("the sender is muted in the group")),
        (
            Some((0, NOW.0 + 1)),
            0,
            Some("the sender is muted in the group"),
        ),
        (
            Some((0, 0)),
            NOW.0 / 1000 + 60,
            Some("only admins may send while the group is muted"),
        ),
        (Some((1, 0)), -1, None),
        (Some((0, NOW.0 - 1)), NOW.0 / 1000 - 1, None),
    ];
    for (sender, ban, refusal) in cases {
        let mut store = MockMessageStore::new();
        store
            .expect_append()
            .withf(|_, sends, _| {
                sends[0].1.len() == 3 && sends[0].1.iter().filter(|r| r.is_sender).count() == 1
            })
            .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
        let result = messaging(store, group_audience(sender, ban))
            .send(&as_user(ANN), text(vec![G.0], 2))
            .await;
        match refusal {
            Some(message) => assert_eq!(
                result.err().map(|e| e.to_string()).as_deref(),
                Some(message)
            ),
            None => assert!(result.is_ok(), "{sender:?} {ban}"),
        }
    }
}

#[tokio::test]
async fn a_repeated_transaction_id_answers_the_first_send() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store
        .expect_append()
        .withf(|_, _, dedup| *dedup == Some((7, NOW.plus_secs(-24 * 3600))))
        .returning(|_, _, _| Ok(Appended::Duplicate(vec![55])));
    let mut request = text(vec![BOB.0], 1);
    request.transaction_id = Some(7);
    let sent = messaging(store, a).send(&as_user(ANN), request).await;
    assert_eq!(
        sent.ok(),
        Some(Sent {
            ids: vec![55],
            duplicate: true
        })
    );
}

#[tokio::test]
async fn only_the_sender_recalls_and_only_within_the_window() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store.expect_message().returning(|_, id| {
        Ok(Some(match id {
            1 => message(1, ANN, Target::User(BOB), NOW.plus_secs(-60)),
            2 => message(2, ANN, Target::User(BOB), NOW.plus_secs(-301)),
            _ => message(3, BOB, Target::User(ANN), NOW),
        }))
    });
    store
        .expect_recall()
        .with(always(), eq(1))
        .times(1)
        .returning(|_, _| Ok(true));
    store
        .expect_append()
        .withf(|_, sends, _| {
            sends[0].0.content_type == ContentType::Recall
                && sends[0].0.related == 1
                && sends[0].1.len() == 2
        })
        .times(1)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let m = messaging(store, a);
    m.recall(&as_user(ANN), BOB.0, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        m.recall(&as_user(ANN), BOB.0, 2).await,
        Err(MessageError::NoPermission(_))
    ));
    assert!(matches!(
        m.recall(&as_user(ANN), BOB.0, 3).await,
        Err(MessageError::NoPermission(_))
    ));
    assert!(matches!(
        m.recall(&as_user(ANN), 77, 1).await,
        Err(MessageError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn append_and_replace_edit_the_senders_message() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store.expect_message().returning(|_, id| {
        Ok(Some(message(
            id,
            if id == 1 { ANN } else { BOB },
            Target::User(if id == 1 { BOB } else { ANN }),
            NOW,
        )))
    });
    store
        .expect_edit()
        .with(always(), eq(1), eq("old more"))
        .times(1)
        .returning(|_, _, _| Ok(true));
    store
        .expect_edit()
        .with(always(), eq(1), eq("new"))
        .times(1)
        .returning(|_, _, _| Ok(true));
    store
        .expect_append()
        .times(2)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let m = messaging(store, a);
    let op = |content_type: i64, content: &str, related: i64| SendRequest {
        content_type,
        content: content.into(),
        related_mid: Some(related),
        ..SendRequest::default()
    };
    m.send(&as_user(ANN), op(11, " more", 1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    m.send(&as_user(ANN), op(12, "new", 1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let foreign = m.send(&as_user(ANN), op(12, "x", 2)).await;
    assert!(matches!(foreign, Err(MessageError::NoPermission(_))));
    let missing_related = m.send(&as_user(ANN), op(11, "x", 0)).await;
    assert!(matches!(
        missing_related,
        Err(MessageError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn a_read_ack_moves_the_read_position_and_tells_the_sender() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store
        .expect_message()
        .returning(|_, id| Ok(Some(message(id, BOB, Target::User(ANN), NOW))));
    store
        .expect_copy()
        .returning(|_, _, _| Ok(Some((17, BOB.0))));
    store
        .expect_mark_read()
        .with(always(), eq(ANN), eq(BOB.0), eq(17))
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    store
        .expect_append()
        .withf(|_, sends, _| {
            sends[0].0.content_type == ContentType::ReadAck && sends[0].0.to == Target::User(BOB)
        })
        .times(1)
        .returning(|_, _, _| Ok(Appended::Stored(Vec::new())));
    let request = SendRequest {
        content_type: 9,
        related_mid: Some(5),
        ..SendRequest::default()
    };
    messaging(store, a)
        .send(&as_user(ANN), request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn stored_messages_go_live_with_each_recipients_position_after_the_commit() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store.expect_append().times(1).returning(|_, sends, _| {
        let id = sends[0].0.id;
        Ok(Appended::Stored(vec![
            Delivery {
                user: ANN,
                position: 7,
                message: id,
                conversation: BOB.0,
            },
            Delivery {
                user: BOB,
                position: 3,
                message: id,
                conversation: ANN.0,
            },
        ]))
    });
    let mut events = MockMessageEvents::new();
    events
        .expect_delivered()
        .withf(|_, m, d| m.id == 101 && d.len() == 2 && d[1].user == BOB && d[1].position == 3)
        .times(1)
        .return_const(());
    let sent = messaging_with(store, a, events)
        .send(&as_user(ANN), text(vec![BOB.0], 1))
        .await;
    assert_eq!(sent.ok().map(|s| s.ids), Some(vec![101]));
}

#[tokio::test]
async fn online_only_messages_are_delivered_live_and_never_stored() {
    let a = audience();
    let mut store = MockMessageStore::new();
    store.expect_append().never();
    let mut events = MockMessageEvents::new();
    events
        .expect_delivered()
        .withf(|_, _, d| d.len() == 2 && d.iter().all(|d| d.position == 0))
        .times(1)
        .return_const(());
    let mut request = text(vec![BOB.0], 1);
    request.online_only = true;
    let sent = messaging_with(store, a, events)
        .send(&as_user(ANN), request)
        .await;
    assert_eq!(sent.ok().map(|s| s.ids), Some(vec![101]));
}

#[tokio::test]
async fn a_read_ack_moves_the_read_position_and_tells_the_conversation() {
    let mut store = MockMessageStore::new();
    store
        .expect_copy()
        .with(always(), eq(BOB), eq(55))
        .returning(|_, _, _| Ok(Some((4, ANN.0))));
    store
        .expect_mark_read()
        .with(always(), eq(BOB), eq(ANN.0), eq(4))
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut events = MockMessageEvents::new();
    events
        .expect_read()
        .with(always(), eq(BOB), eq(ANN.0), eq(55))
        .times(1)
        .return_const(());
    let m = messaging_with(store, audience(), events);
    assert!(m.ack(&as_user(BOB), ANN.0, 55).await.is_ok());
    assert!(m.ack(&as_user(BOB), BOB.0, 55).await.is_err());
}
