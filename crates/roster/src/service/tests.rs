//! Unit tests of the roster service against mockall mocks of its ports.

use std::sync::Arc;

use mockall::predicate::{always, eq};
use tidings_kernel::{
    Actor, AppId, DeviceSn, MockClock, MockIdGenerator, Principal, Timestamp, UserId,
};

use super::*;
use crate::model::{Application, ApplicationStatus, FriendEntry, Relation, UserCard};
use crate::ports::{MockRosterEvents, MockRosterRepository, MockUserDirectory};

const NOW: Timestamp = Timestamp(1_000_000);
const ME: UserId = UserId(1);
const THEM: UserId = UserId(2);

fn app() -> AppId {
    AppId::parse("app").unwrap_or_else(|_| unreachable!())
}

fn me() -> Principal {
    Principal {
        app: app(),
        actor: Actor::User {
            user: ME,
            device: DeviceSn(1),
        },
    }
}

fn card(id: UserId, auth_mode: i64) -> UserCard {
    UserCard {
        id,
        username: format!("u{}", id.0),
        nick_name: String::new(),
        avatar: String::new(),
        description: String::new(),
        public_info: String::new(),
        auth_mode,
        auth_question: "q".into(),
        auth_answer: "42".into(),
    }
}

fn application(
    applicant: UserId,
    target: UserId,
    status: ApplicationStatus,
    expires: i64,
) -> Application {
    Application {
        id: 9,
        applicant,
        target,
        reason: "hi".into(),
        alias: "buddy".into(),
        status,
        expires_at: Timestamp(expires),
        created_at: Timestamp(0),
    }
}

struct Mocks {
    roster: MockRosterRepository,
    directory: MockUserDirectory,
    events: MockRosterEvents,
}

impl Mocks {
    fn new() -> Self {
        Self {
            roster: MockRosterRepository::new(),
            directory: MockUserDirectory::new(),
            events: MockRosterEvents::new(),
        }
    }

    /// THEM exists with this auth mode; nobody is a friend or blocked.
    fn target(mut self, auth_mode: i64) -> Self {
        self.directory
            .expect_user()
            .with(always(), eq(THEM))
            .returning(move |_, id| Ok(Some(card(id, auth_mode))));
        self.roster.expect_entry().returning(|_, _, _| Ok(None));
        self.roster
            .expect_is_blocked()
            .returning(|_, _, _| Ok(false));
        self
    }

    fn expect_event(mut self, kind: RosterEventKind) -> Self {
        self.events
            .expect_publish()
            .withf(move |_, e| e.kind == kind)
            .times(1)
            .return_const(());
        self
    }

    fn build(self) -> Roster {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let mut ids = MockIdGenerator::new();
        ids.expect_next_id().return_const(77_i64);
        Roster::new(RosterDeps {
            roster: Arc::new(self.roster),
            directory: Arc::new(self.directory),
            events: Arc::new(self.events),
            ids: Arc::new(ids),
            clock: Arc::new(clock),
            policy: RosterPolicy {
                application_ttl_secs: 10,
            },
        })
    }
}

fn expect_friends(mocks: &mut Mocks, alias: Option<&'static str>) {
    mocks
        .roster
        .expect_make_friends()
        .withf(move |_, a, b, alias_of_b, _, now| {
            *a == ME && *b == THEM && alias_of_b.as_deref() == alias && *now == NOW
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
}

#[tokio::test]
async fn mode_0_makes_friends_at_once() {
    let mut mocks = Mocks::new().target(0).expect_event(RosterEventKind::Added);
    expect_friends(&mut mocks, Some("pal"));
    mocks.roster.expect_save_application().never();
    let friends = mocks
        .build()
        .apply(&me(), THEM, None, Some("pal".into()), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(friends);
}

#[tokio::test]
async fn mode_1_files_an_application_that_expires() {
    let mut mocks = Mocks::new()
        .target(1)
        .expect_event(RosterEventKind::Applied);
    mocks
        .roster
        .expect_application()
        .returning(|_, _, _| Ok(None));
    mocks
        .roster
        .expect_save_application()
        .withf(|_, a| {
            a.applicant == ME
                && a.target == THEM
                && a.status == ApplicationStatus::Pending
                && a.expires_at == NOW.plus_secs(10)
                && a.reason == "hello"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.roster.expect_make_friends().never();
    let friends = mocks
        .build()
        .apply(&me(), THEM, Some("hello".into()), None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!friends);
}

#[tokio::test]
async fn mode_1_with_their_open_application_makes_friends() {
    let mut mocks = Mocks::new().target(1).expect_event(RosterEventKind::Added);
    mocks
        .roster
        .expect_application()
        .with(always(), eq(THEM), eq(ME))
        .returning(|_, a, t| {
            Ok(Some(application(
                a,
                t,
                ApplicationStatus::Pending,
                NOW.0 + 1,
            )))
        });
    expect_friends(&mut mocks, None);
    let friends = mocks
        .build()
        .apply(&me(), THEM, None, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(friends);
}

#[tokio::test]
async fn mode_2_needs_the_right_answer() {
    let mut mocks = Mocks::new().target(2).expect_event(RosterEventKind::Added);
    expect_friends(&mut mocks, None);
    let roster = mocks.build();
    let wrong = roster
        .apply(&me(), THEM, None, None, Some("41".into()))
        .await;
    assert!(matches!(wrong, Err(RosterError::Rejected(_))));
    let none = roster.apply(&me(), THEM, None, None, None).await;
    assert!(matches!(none, Err(RosterError::Rejected(_))));
    let right = roster
        .apply(&me(), THEM, None, None, Some(" 42 ".into()))
        .await;
    assert!(matches!(right, Ok(true)));
}

#[tokio::test]
async fn mode_2_before_its_answer_is_set_rejects_every_application() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_user()
        .with(always(), eq(THEM))
        .returning(|_, id| {
            Ok(Some(UserCard {
                auth_question: String::new(),
                auth_answer: String::new(),
                ..card(id, 2)
            }))
        });
    mocks.roster.expect_entry().returning(|_, _, _| Ok(None));
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, _, _| Ok(false));
    mocks.roster.expect_make_friends().never();
    let err = mocks
        .build()
        .apply(&me(), THEM, None, None, Some(String::new()))
        .await;
    assert!(matches!(err, Err(RosterError::Rejected(_))));
}

#[tokio::test]
async fn mode_3_rejects_everyone() {
    let mut mocks = Mocks::new().target(3);
    mocks.roster.expect_make_friends().never();
    mocks.roster.expect_save_application().never();
    let err = mocks.build().apply(&me(), THEM, None, None, None).await;
    assert!(matches!(err, Err(RosterError::Rejected(_))));
}

#[tokio::test]
async fn applying_to_a_friend_an_unknown_user_oneself_or_a_blocker_is_refused() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_user()
        .returning(|_, id| Ok((id != UserId(404)).then(|| card(id, 0))));
    mocks.roster.expect_entry().returning(|_, owner, friend| {
        Ok((friend == UserId(3)).then(|| FriendEntry {
            owner,
            friend,
            active: true,
            alias: String::new(),
            ext: String::new(),
            mute_notification: false,
            updated_at: NOW,
        }))
    });
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, owner, target| Ok(owner == UserId(4) && target == ME));
    let roster = mocks.build();
    let cases = [
        (UserId(404), "user does not exist"),
        (ME, "that is the caller itself"),
        (UserId(3), "already friends"),
        (UserId(4), "the user blocked you"),
    ];
    for (target, message) in cases {
        let err = roster.apply(&me(), target, None, None, None).await;
        assert_eq!(err.err().map(|e| e.to_string()).as_deref(), Some(message));
    }
}

#[tokio::test]
async fn accepting_needs_an_open_application_and_uses_its_alias() {
    let mut mocks = Mocks::new().expect_event(RosterEventKind::Accepted);
    mocks
        .directory
        .expect_user()
        .returning(|_, id| Ok(Some(card(id, 1))));
    mocks
        .roster
        .expect_application()
        .returning(|_, applicant, target| {
            Ok(match applicant.0 {
                2 => Some(application(
                    applicant,
                    target,
                    ApplicationStatus::Pending,
                    NOW.0 + 5,
                )),
                5 => Some(application(
                    applicant,
                    target,
                    ApplicationStatus::Pending,
                    NOW.0,
                )),
                6 => Some(application(
                    applicant,
                    target,
                    ApplicationStatus::Declined,
                    NOW.0 + 5,
                )),
                _ => None,
            })
        });
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, _, _| Ok(false));
    mocks
        .roster
        .expect_make_friends()
        .withf(|_, a, b, alias_of_b, alias_of_a, _| {
            *a == THEM && *b == ME && alias_of_b.as_deref() == Some("buddy") && alias_of_a.is_none()
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    let roster = mocks.build();
    for missing in [UserId(5), UserId(6), UserId(7)] {
        let err = roster.accept(&me(), missing).await;
        assert!(
            matches!(err, Err(RosterError::ApplicationMissing)),
            "{missing:?}"
        );
    }
    roster
        .accept(&me(), THEM)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_block_since_the_application_stops_its_acceptance() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_user()
        .returning(|_, id| Ok(Some(card(id, 1))));
    mocks.roster.expect_application().returning(|_, a, t| {
        Ok(Some(application(
            a,
            t,
            ApplicationStatus::Pending,
            NOW.0 + 5,
        )))
    });
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, owner, _| Ok(owner == ME));
    mocks.roster.expect_make_friends().never();
    let err = mocks.build().accept(&me(), THEM).await;
    assert!(matches!(err, Err(RosterError::Blocked(_))));
}

#[tokio::test]
async fn a_mutual_application_keeps_both_aliases() {
    let mut mocks = Mocks::new().target(1).expect_event(RosterEventKind::Added);
    mocks
        .roster
        .expect_application()
        .with(always(), eq(THEM), eq(ME))
        .returning(|_, a, t| {
            Ok(Some(application(
                a,
                t,
                ApplicationStatus::Pending,
                NOW.0 + 1,
            )))
        });
    mocks
        .roster
        .expect_make_friends()
        .withf(|_, a, b, mine, theirs, _| {
            *a == ME
                && *b == THEM
                && mine.as_deref() == Some("mine")
                && theirs.as_deref() == Some("buddy")
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    mocks
        .build()
        .apply(&me(), THEM, None, Some("mine".into()), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn declining_marks_the_application_declined() {
    let mut mocks = Mocks::new().expect_event(RosterEventKind::Declined);
    mocks.roster.expect_application().returning(|_, a, t| {
        Ok(Some(application(
            a,
            t,
            ApplicationStatus::Pending,
            NOW.0 + 5,
        )))
    });
    mocks
        .roster
        .expect_set_application_status()
        .with(always(), eq(THEM), eq(ME), eq(ApplicationStatus::Declined))
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    mocks
        .build()
        .decline(&me(), THEM, Some("no".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn friend_pages_end_without_a_cursor() {
    let mut mocks = Mocks::new();
    mocks
        .roster
        .expect_friend_ids()
        .returning(|_, _, after, limit| {
            let start = after.map_or(10, |a| a.0 + 1);
            Ok((start..15).take(limit as usize).map(UserId).collect())
        });
    mocks
        .roster
        .expect_roster_version()
        .returning(|_, _| Ok(123));
    let roster = mocks.build();
    let first = roster
        .friends(&me(), None, Some(3))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.ids, vec![UserId(10), UserId(11), UserId(12)]);
    assert_eq!(first.next.as_deref(), Some("12"));
    assert_eq!(first.version, 123);
    let last = roster
        .friends(&me(), first.next.as_deref(), Some(3))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(last.ids, vec![UserId(13), UserId(14)]);
    assert_eq!(last.next, None);
    assert!(roster.friends(&me(), Some("x"), None).await.is_err());
    assert!(roster.friends(&me(), None, Some(0)).await.is_err());
}

#[tokio::test]
async fn relations_are_blocked_friend_deleted_or_stranger() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_users()
        .returning(|_, ids| Ok(ids.iter().map(|id| card(*id, 0)).collect()));
    mocks.roster.expect_entries().returning(|_, owner, _| {
        Ok([(2, true), (3, false), (4, true)]
            .into_iter()
            .map(|(id, active)| FriendEntry {
                owner,
                friend: UserId(id),
                active,
                alias: "a".into(),
                ext: "e".into(),
                mute_notification: true,
                updated_at: NOW,
            })
            .collect())
    });
    mocks
        .roster
        .expect_blocked()
        .returning(|_, _| Ok(vec![UserId(4)]));
    let items = mocks
        .build()
        .details(&me(), vec![UserId(2), UserId(3), UserId(4), UserId(5)])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let relations: Vec<Relation> = items.iter().map(|i| i.relation).collect();
    assert_eq!(
        relations,
        [
            Relation::Friend,
            Relation::Deleted,
            Relation::Blocked,
            Relation::Stranger
        ]
    );
    assert_eq!(items[0].alias, "a");
    assert_eq!(items[1].alias, "", "a deleted friend's alias is not shown");
}

#[tokio::test]
async fn may_message_is_false_when_either_blocked_the_other() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_user()
        .returning(|_, id| Ok((id.0 < 10).then(|| card(id, 0))));
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, owner, target| Ok(owner == UserId(3) && target == UserId(4)));
    let roster = mocks.build();
    assert!(matches!(
        roster.may_message(&me(), UserId(1), UserId(2)).await,
        Ok(true)
    ));
    assert!(matches!(
        roster.may_message(&me(), UserId(3), UserId(4)).await,
        Ok(false)
    ));
    assert!(matches!(
        roster.may_message(&me(), UserId(4), UserId(3)).await,
        Ok(false)
    ));
    assert!(matches!(
        roster.may_message(&me(), UserId(1), UserId(11)).await,
        Err(RosterError::UserNotFound)
    ));
}

#[tokio::test]
async fn batch_applications_report_each_target() {
    let mut mocks = Mocks::new();
    mocks
        .directory
        .expect_user()
        .returning(|_, id| Ok((id.0 != 404).then(|| card(id, if id.0 == 3 { 3 } else { 0 }))));
    mocks.roster.expect_entry().returning(|_, _, _| Ok(None));
    mocks
        .roster
        .expect_is_blocked()
        .returning(|_, _, _| Ok(false));
    mocks
        .roster
        .expect_make_friends()
        .returning(|_, _, _, _, _, _| Ok(()));
    mocks.events.expect_publish().return_const(());
    let outcome = mocks
        .build()
        .apply_batch(
            &me(),
            vec![
                (THEM, None, None),
                (UserId(3), None, None),
                (UserId(404), None, None),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.success, vec![THEM]);
    assert_eq!(outcome.fails.len(), 2);
    assert_eq!(
        outcome.fails[1],
        (UserId(404), "user does not exist".to_owned())
    );
}
