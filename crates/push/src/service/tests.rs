use std::sync::{Arc, Mutex};

use tidings_kernel::{Actor, DeviceSn, MockClock, MockIdGenerator, Timestamp};

use super::*;
use crate::model::{Badge, Counts, Cursor, Notifier, Provider, Recipient, VendorAddress};
use crate::ports::{
    MockLiveChannel, MockOfflineAudience, MockRecipients, MockTaskRepository, MockVendorChannels,
};

fn app() -> AppId {
    AppId::parse("app1").unwrap_or_else(|_| unreachable!())
}

fn admin() -> Principal {
    Principal {
        app: app(),
        actor: Actor::Admin,
    }
}

fn text(badge: Badge) -> Notification {
    Notification {
        kind: Kind::Text,
        title: "t".into(),
        body: "b".into(),
        big_text: String::new(),
        attachment_url: String::new(),
        badge,
        ext: String::new(),
        show_begin: None,
        show_end: None,
    }
}

fn request(audience: Audience) -> NotifyRequest {
    NotifyRequest {
        audience,
        strategy: Strategy::Combined,
        request_id: None,
        notification: text(Badge::Add(1)),
    }
}

struct Mocks {
    tasks: MockTaskRepository,
    recipients: MockRecipients,
    live: MockLiveChannel,
    vendors: MockVendorChannels,
    offline: MockOfflineAudience,
    now: i64,
}

impl Mocks {
    fn new() -> Self {
        Self {
            tasks: MockTaskRepository::new(),
            recipients: MockRecipients::new(),
            live: MockLiveChannel::new(),
            vendors: MockVendorChannels::new(),
            offline: MockOfflineAudience::new(),
            now: 1_000_000,
        }
    }

    fn push(self) -> Push {
        let mut clock = MockClock::new();
        let now = self.now;
        clock.expect_now().returning(move || Timestamp(now));
        let mut ids = MockIdGenerator::new();
        ids.expect_next_id().returning(|| 77);
        Push::new(PushDeps {
            tasks: Arc::new(self.tasks),
            recipients: Arc::new(self.recipients),
            live: Arc::new(self.live),
            vendors: Arc::new(self.vendors),
            offline: Arc::new(self.offline),
            ids: Arc::new(ids),
            clock: Arc::new(clock),
        })
    }
}

async fn refused(push: &Push, principal: &Principal, request: NotifyRequest) -> PushError {
    match push.notify(principal, request).await {
        Err(e) => e,
        Ok(id) => panic!("accepted as task {id:?}"),
    }
}

#[tokio::test]
async fn a_task_needs_an_admin_token_and_a_valid_request() {
    let mut mocks = Mocks::new();
    mocks.vendors.expect_notifiers().returning(|_| Ok(vec![]));
    let push = mocks.push();
    let user = Principal {
        app: app(),
        actor: Actor::User {
            user: UserId(1),
            device: DeviceSn(1),
        },
    };
    let e = refused(&push, &user, request(Audience::All)).await;
    assert!(matches!(e, PushError::NoPermission(_)), "{e:?}");

    let too_many = Audience::Users((0..501).map(UserId).collect());
    let e = refused(&push, &admin(), request(too_many)).await;
    assert!(matches!(e, PushError::AudienceTooLarge), "{e:?}");
    let e = refused(&push, &admin(), request(Audience::Tags(vec![]))).await;
    assert!(matches!(e, PushError::InvalidInput(_)), "{e:?}");
    let e = refused(&push, &admin(), request(Audience::Tags(vec![" ".into()]))).await;
    assert!(matches!(e, PushError::InvalidInput(_)), "{e:?}");

    let image = |url: &str| {
        let mut r = request(Audience::All);
        r.notification.kind = Kind::Image;
        r.notification.attachment_url = url.into();
        r
    };
    let e = refused(&push, &admin(), image("")).await;
    assert!(matches!(e, PushError::ImageMissing), "{e:?}");
    let e = refused(&push, &admin(), image("ftp://x/a.png")).await;
    assert!(matches!(e, PushError::ImageUrl), "{e:?}");
    let e = refused(&push, &admin(), image("https://x/a.gif")).await;
    assert!(matches!(e, PushError::ImageType), "{e:?}");

    let mut window = request(Audience::All);
    window.notification.show_begin = Some(Timestamp(10));
    window.notification.show_end = Some(Timestamp(10));
    let e = refused(&push, &admin(), window).await;
    assert!(matches!(e, PushError::InvalidInput(_)), "{e:?}");

    let mut vendors = request(Audience::All);
    vendors.strategy = Strategy::OspushOnly;
    let e = refused(&push, &admin(), vendors).await;
    assert!(matches!(e, PushError::NotEnabled(_)), "{e:?}");
}

#[tokio::test]
async fn a_task_is_stored_due_at_its_show_begin_time_and_a_repeated_request_id_answers_the_first()
-> anyhow::Result<()> {
    let mut mocks = Mocks::new();
    let stored = Arc::new(Mutex::new(Vec::new()));
    let seen = stored.clone();
    mocks
        .tasks
        .expect_create()
        .times(2)
        .returning(move |task, due| {
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.push((task.clone(), due));
            Ok((seen.len() == 2).then_some(TaskId(5)))
        });
    let push = mocks.push();
    let mut first = request(Audience::Tags(vec!["b".into(), " a ".into(), "b".into()]));
    first.request_id = Some(" r-1 ".into());
    first.notification.show_begin = Some(Timestamp(2_000_000));
    assert_eq!(push.notify(&admin(), first.clone()).await?, TaskId(77));
    assert_eq!(push.notify(&admin(), first).await?, TaskId(5));
    let stored = stored.lock().unwrap_or_else(|p| p.into_inner());
    let (task, due) = &stored[0];
    assert_eq!(*due, Timestamp(2_000_000));
    assert_eq!(task.request_id.as_deref(), Some("r-1"));
    assert_eq!(task.audience, Audience::Tags(vec!["a".into(), "b".into()]));
    assert_eq!(task.app, app());
    Ok(())
}

fn task(notification: Notification) -> Task {
    Task {
        id: TaskId(9),
        app: app(),
        request_id: None,
        audience: Audience::All,
        strategy: Strategy::Combined,
        notification,
        created_at: Timestamp(0),
    }
}

fn recipient(user: i64, device: i64, badge: i64) -> Recipient {
    Recipient {
        user: UserId(user),
        device: DeviceSn(device),
        badge,
        vendor: None,
    }
}

fn apns() -> Notifier {
    Notifier {
        provider: Provider::Apns,
        name: "apns".into(),
        app_id: "com.example".into(),
        app_key: "KEY".into(),
    }
}

fn taken<T>(shared: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *shared.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Delivers `task` to pages of recipients where the devices in `connected` have a
/// connection: the badges written, the pushes handed over, and the progress recorded.
#[allow(clippy::type_complexity)]
async fn deliver(
    task: Task,
    pages: Vec<Vec<Recipient>>,
    connected: &'static [(i64, i64)],
) -> anyhow::Result<(
    Vec<Vec<(UserId, i64)>>,
    Vec<(UserId, DeviceSn, i64)>,
    Vec<(Counts, Option<Cursor>)>,
)> {
    let mut mocks = Mocks::new();
    mocks
        .tasks
        .expect_find()
        .returning(move |_, _| Ok(Some((task.clone(), None))));
    let pages = Arc::new(Mutex::new(pages.into_iter()));
    mocks.recipients.expect_page().returning(move |_, _, _, _| {
        Ok(pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next()
            .unwrap_or_default())
    });
    let badges = Arc::new(Mutex::new(Vec::new()));
    let seen = badges.clone();
    mocks.recipients.expect_set_badges().returning(move |_, b| {
        seen.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(b.to_vec());
        Ok(())
    });
    mocks
        .live
        .expect_is_connected()
        .returning(|_, u, d| connected.contains(&(u.0, d.0)));
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let seen = pushes.clone();
    mocks.live.expect_deliver().returning(move |_, u, d, push| {
        seen.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((u, d, push.badge));
        push.receipt.written();
        1
    });
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    mocks
        .tasks
        .expect_progress()
        .returning(move |_, added, cursor, _| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((added.on(Channel::Mxpush), cursor));
            Ok(())
        });
    mocks.vendors.expect_notifiers().returning(|_| Ok(vec![]));
    let push = mocks.push();
    push.deliver(&TaskDelivery {
        app: app(),
        task: TaskId(9),
    })
    .await
    .map_err(|e| e.0)?;
    push.flush_receipts().await?;
    Ok((taken(&badges), taken(&pushes), taken(&progress)))
}

#[tokio::test]
async fn connected_devices_get_the_push_with_their_users_badge_changed_once() -> anyhow::Result<()>
{
    // User 1 has devices 1 and 2 connected; user 2's device is not connected;
    // user 3 is connected with a badge of 4.
    let page = vec![
        recipient(1, 1, 0),
        recipient(1, 2, 0),
        recipient(2, 1, 7),
        recipient(3, 1, 4),
    ];
    let (badges, pushes, progress) = deliver(
        task(text(Badge::Add(2))),
        vec![page],
        &[(1, 1), (1, 2), (3, 1)],
    )
    .await?;
    assert_eq!(badges, [vec![(UserId(1), 2), (UserId(3), 6)]]);
    assert_eq!(
        pushes,
        [
            (UserId(1), DeviceSn(1), 2),
            (UserId(1), DeviceSn(2), 2),
            (UserId(3), DeviceSn(1), 6)
        ]
    );
    let cursor = Some(Some((UserId(3), DeviceSn(1))));
    assert_eq!(
        progress,
        [
            (
                Counts {
                    target: 3,
                    sent: 3,
                    received: 0
                },
                cursor
            ),
            (
                Counts {
                    target: 0,
                    sent: 0,
                    received: 3
                },
                None
            )
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_badge_is_set_once_even_when_a_users_devices_span_two_pages() -> anyhow::Result<()> {
    // A full first page ends with user 600's first device; the next page starts with its
    // second.
    let mut first: Vec<Recipient> = (1..PAGE).map(|u| recipient(u, 1, 1)).collect();
    first.push(recipient(600, 1, 1));
    let second = vec![recipient(600, 2, 1)];
    let (badges, pushes, progress) = deliver(
        task(text(Badge::Set(3))),
        vec![first, second],
        &[(600, 1), (600, 2)],
    )
    .await?;
    assert_eq!(badges, [vec![(UserId(600), 3)]]);
    assert_eq!(
        pushes,
        [(UserId(600), DeviceSn(1), 3), (UserId(600), DeviceSn(2), 3)]
    );
    assert_eq!(progress.len(), 3, "two pages and the receipts");
    assert_eq!(progress[1].1, Some(Some((UserId(600), DeviceSn(2)))));
    Ok(())
}

#[tokio::test]
async fn a_cmd_push_leaves_the_badge_and_a_task_past_its_end_sends_nothing() -> anyhow::Result<()> {
    let mut cmd = text(Badge::Add(1));
    cmd.kind = Kind::Cmd;
    let (badges, pushes, _) = deliver(task(cmd), vec![vec![recipient(1, 1, 4)]], &[(1, 1)]).await?;
    assert!(badges.is_empty());
    assert_eq!(pushes, [(UserId(1), DeviceSn(1), 4)]);

    let mut ended = text(Badge::Add(1));
    ended.show_end = Some(Timestamp(1));
    let (badges, pushes, progress) =
        deliver(task(ended), vec![vec![recipient(1, 1, 4)]], &[(1, 1)]).await?;
    assert!(badges.is_empty() && pushes.is_empty() && progress.is_empty());
    Ok(())
}

#[tokio::test]
async fn receipts_that_cannot_be_stored_are_kept_for_the_next_flush() -> anyhow::Result<()> {
    let mut mocks = Mocks::new();
    let mut calls = 0;
    mocks
        .tasks
        .expect_progress()
        .returning(move |_, added, _, _| {
            calls += 1;
            assert_eq!(added.on(Channel::Mxpush).received, 2);
            if calls == 1 {
                Err(RepoError(anyhow::anyhow!("down")))
            } else {
                Ok(())
            }
        });
    let push = mocks.push();
    let receipt = push.receipts.receipt(&app(), TaskId(1));
    receipt.written();
    receipt.written();
    assert!(push.flush_receipts().await.is_err());
    push.flush_receipts().await?;
    push.flush_receipts().await?;
    Ok(())
}

#[test]
fn badges_set_add_and_default_to_plus_one() {
    assert_eq!(Badge::parse("").ok(), Some(Badge::Add(1)));
    assert_eq!(Badge::parse("+3").ok(), Some(Badge::Add(3)));
    assert_eq!(Badge::parse("7").ok(), Some(Badge::Set(7)));
    for bad in ["-1", "+", "x", "+-2", "100000", "1.5"] {
        assert!(Badge::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Badge::Add(3).apply(4), 7);
    assert_eq!(Badge::Add(5).apply(99_998), 99_999);
    assert_eq!(Badge::Set(2).apply(40), 2);
    assert_eq!(Strategy::parse("").ok(), Some(Strategy::Combined));
    assert_eq!(
        Strategy::parse("MXPUSH_ONLY").ok(),
        Some(Strategy::MxpushOnly)
    );
    assert!(Strategy::parse("both").is_err());
    assert_eq!(Kind::parse("").ok(), Some(Kind::Text));
    assert!(Kind::parse("video").is_err());
}

/// Mocks that serve `task` and one page of recipients, and accept any badges.
fn serving(mocks: &mut Mocks, task: Task, page: Vec<Recipient>) {
    mocks
        .tasks
        .expect_find()
        .returning(move |_, _| Ok(Some((task.clone(), None))));
    mocks
        .recipients
        .expect_page()
        .returning(move |_, _, _, _| Ok(page.clone()));
    mocks
        .recipients
        .expect_set_badges()
        .returning(|_, _| Ok(()));
}

#[tokio::test]
async fn devices_without_a_connection_are_reached_through_their_vendor_as_the_strategy_allows()
-> anyhow::Result<()> {
    let with_token = |user, device, notifier: &str, token: &str| Recipient {
        vendor: Some(VendorAddress {
            notifier: notifier.into(),
            token: token.into(),
        }),
        ..recipient(user, device, 0)
    };
    // User 1 is connected (and has a token); user 2 is not, with a live token; user 3's token
    // is dead; user 4 names a notifier the app does not have; user 5 has no token.
    let page = vec![
        with_token(1, 1, "apns", "t1"),
        with_token(2, 1, "apns", "t2"),
        with_token(3, 1, "apns", "t3"),
        with_token(4, 1, "huawei", "t4"),
        recipient(5, 1, 0),
    ];
    for (strategy, live, vendor) in [
        (Strategy::Combined, 1, vec!["t2", "t3"]),
        (Strategy::MxpushOnly, 1, vec![]),
        (Strategy::OspushOnly, 0, vec!["t1", "t2", "t3"]),
    ] {
        let mut mocks = Mocks::new();
        let mut t = task(text(Badge::Add(1)));
        t.strategy = strategy;
        serving(&mut mocks, t, page.clone());
        let forgotten = Arc::new(Mutex::new(Vec::new()));
        let seen = forgotten.clone();
        mocks
            .recipients
            .expect_forget_vendor_token()
            .returning(move |_, u, _, token| {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((u, token.to_owned()));
                Ok(())
            });
        mocks
            .live
            .expect_is_connected()
            .returning(|_, u, _| u == UserId(1));
        mocks.live.expect_deliver().returning(|_, _, _, _| 1);
        mocks
            .vendors
            .expect_notifiers()
            .returning(|_| Ok(vec![apns()]));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        mocks
            .vendors
            .expect_send()
            .returning(move |_, n, token, push| {
                assert_eq!((n.name.as_str(), push.badge), ("apns", 1));
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(token.to_owned());
                if token == "t3" {
                    Sent::DeadToken
                } else {
                    Sent::Accepted
                }
            });
        let progress = Arc::new(Mutex::new(Vec::new()));
        let seen = progress.clone();
        mocks
            .tasks
            .expect_progress()
            .returning(move |_, added, _, _| {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(added.clone());
                Ok(())
            });
        let push = mocks.push();
        push.deliver(&TaskDelivery {
            app: app(),
            task: TaskId(9),
        })
        .await
        .map_err(|e| e.0)?;
        let mut sent = taken(&sent);
        sent.sort();
        assert_eq!(sent, vendor, "{strategy:?}");
        let detail = &taken(&progress)[0];
        assert_eq!(detail.on(Channel::Mxpush).target, live, "{strategy:?}");
        let apns_counts = detail.on(Channel::Apns);
        let n = vendor.len() as i64;
        assert_eq!(
            (apns_counts.target, apns_counts.sent, apns_counts.received),
            (n, n, (n - 1).max(0)),
            "{strategy:?}"
        );
        let dead = taken(&forgotten);
        assert_eq!(dead.len(), usize::from(n > 0), "{strategy:?}");
    }
    Ok(())
}

#[tokio::test]
async fn the_certificate_shows_what_is_configured_and_ospush_only_needs_credentials()
-> anyhow::Result<()> {
    let mut mocks = Mocks::new();
    mocks
        .vendors
        .expect_notifiers()
        .returning(|_| Ok(vec![apns()]));
    mocks.tasks.expect_create().returning(|_, _| Ok(None));
    let push = mocks.push();
    assert_eq!(push.certificate(&admin(), 1).await?, Some(apns()));
    assert_eq!(push.certificate(&admin(), 7).await?, None);
    assert!(matches!(
        push.certificate(&admin(), 3).await,
        Err(PushError::InvalidInput(_))
    ));
    let mut vendors = request(Audience::All);
    vendors.strategy = Strategy::OspushOnly;
    assert_eq!(push.notify(&admin(), vendors).await?, TaskId(77));
    Ok(())
}

#[tokio::test]
async fn an_unavailable_vendor_queues_a_retry_which_sends_to_the_device_as_it_is_then()
-> anyhow::Result<()> {
    let with_token = |token: &str, badge| Recipient {
        vendor: Some(VendorAddress {
            notifier: "apns".into(),
            token: token.into(),
        }),
        ..recipient(1, 1, badge)
    };
    let mut mocks = Mocks::new();
    serving(
        &mut mocks,
        task(text(Badge::Add(1))),
        vec![with_token("old", 0)],
    );
    // By the retry, the device bound another token and the badge moved on.
    mocks
        .recipients
        .expect_device()
        .returning(move |_, _, _| Ok(Some(with_token("new", 7))));
    mocks.live.expect_is_connected().returning(|_, _, _| false);
    mocks
        .vendors
        .expect_notifiers()
        .returning(|_| Ok(vec![apns()]));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    mocks
        .vendors
        .expect_send()
        .returning(move |_, _, token, push| {
            let mut calls = seen.lock().unwrap_or_else(|p| p.into_inner());
            calls.push((token.to_owned(), push.badge));
            match calls.len() {
                1 | 2 => Sent::Unavailable("503".into()),
                _ => Sent::Accepted,
            }
        });
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    mocks
        .tasks
        .expect_progress()
        .returning(move |_, added, _, retries| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((added.on(Channel::Apns), retries.to_vec()));
            Ok(())
        });
    let push = mocks.push();
    push.deliver(&TaskDelivery {
        app: app(),
        task: TaskId(9),
    })
    .await
    .map_err(|e| e.0)?;
    let job = VendorRetry {
        app: app(),
        task: TaskId(9),
        message: 0,
        user: UserId(1),
        device: DeviceSn(1),
    };
    assert!(push.retry_vendor(&job).await.is_err(), "still unavailable");
    push.retry_vendor(&job).await.map_err(anyhow::Error::msg)?;
    assert_eq!(
        taken(&calls),
        [
            ("old".to_owned(), 1),
            ("new".to_owned(), 7),
            ("new".to_owned(), 7)
        ]
    );
    let progress = taken(&progress);
    assert_eq!(
        progress[0],
        (
            Counts {
                target: 1,
                sent: 1,
                received: 0
            },
            vec![(UserId(1), DeviceSn(1))]
        )
    );
    assert_eq!(progress[1].0.received, 1);
    assert!(progress[1].1.is_empty());
    Ok(())
}

fn offline_message(id: i64, to: i64, token: &str) -> OfflineMessage {
    OfflineMessage {
        id,
        from: UserId(1),
        from_name: "ann".into(),
        group: None,
        from_group_admin: false,
        content: crate::offline::Content::Text,
        text: format!("hello {id}"),
        mention_all: false,
        mentioned: Vec::new(),
        receivers: vec![crate::offline::OfflineReceiver {
            user: UserId(to),
            no_push: false,
            no_push_detail: false,
            quiet_hours: (0, 0),
            silent_hours: (0, 0),
            no_sounds: false,
            group_mute_mode: 0,
            group_push_mode: 0,
            friend_muted: false,
            unread: 3,
            devices: vec![(
                DeviceSn(1),
                VendorAddress {
                    notifier: "apns".into(),
                    token: token.into(),
                },
            )],
        }],
    }
}

#[tokio::test]
async fn a_wave_of_messages_is_read_once_per_app_and_an_unavailable_vendor_fails_nothing() {
    let other = AppId::parse("app2").unwrap_or_else(|_| unreachable!());
    let mut mocks = Mocks::new();
    mocks
        .vendors
        .expect_notifiers()
        .returning(|_| Ok(vec![apns()]));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let seen = reads.clone();
    mocks
        .offline
        .expect_offline_messages()
        .returning(move |app, ids| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((app.as_str().to_owned(), ids.to_vec()));
            if app.as_str() == "app2" {
                return Err(RepoError(anyhow::anyhow!("disk on fire")));
            }
            // Message 12 was deleted meanwhile: not answered.
            Ok(vec![
                offline_message(10, 2, "t2"),
                offline_message(11, 3, "t3"),
            ])
        });
    mocks.live.expect_is_connected().returning(|_, _, _| false);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = sent.clone();
    mocks
        .vendors
        .expect_send()
        .returning(move |_, _, token, push| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((token.to_owned(), push.badge));
            if token == "t3" {
                Sent::Unavailable("503".into())
            } else {
                Sent::Accepted
            }
        });
    let retried = Arc::new(Mutex::new(Vec::new()));
    let seen = retried.clone();
    mocks
        .offline
        .expect_retry_later()
        .returning(move |retries| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(retries.iter().map(|r| (r.message, r.user)));
            Ok(())
        });
    let push = mocks.push();
    let job = |app: &AppId, message| MessagePush {
        app: app.clone(),
        message,
    };
    let jobs = [
        job(&app(), 10),
        job(&other, 20),
        job(&app(), 11),
        job(&app(), 12),
    ];
    let wave: Vec<&MessagePush> = jobs.iter().collect();
    let outcomes = JobHandler::<MessagePush>::handle_all(&push, &wave).await;
    assert_eq!(outcomes.len(), 4);
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[3].is_ok());
    assert!(
        outcomes[1]
            .as_ref()
            .is_err_and(|e| e.contains("disk on fire"))
    );
    let mut reads = taken(&reads);
    reads.sort();
    assert_eq!(
        reads,
        [
            ("app1".to_owned(), vec![10, 11, 12]),
            ("app2".to_owned(), vec![20])
        ]
    );
    let mut sent = taken(&sent);
    sent.sort();
    assert_eq!(sent, [("t2".to_owned(), 3), ("t3".to_owned(), 3)]);
    assert_eq!(taken(&retried), [(11, UserId(3))]);
}
