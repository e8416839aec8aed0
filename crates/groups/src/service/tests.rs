//! Unit tests of the groups service: role rules and flows, against mockall mocks whose
//! answers come from a small shared in-memory state.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tidings_kernel::{
    Actor, AppId, DeviceSn, GroupId, MockClock, MockIdGenerator, Principal, Timestamp, UserId,
};

use super::*;
use crate::model::{
    ApplyApproval, GroupChange, GroupSettings, GroupType, Invitation, JoinOutcome, JoinRequest,
    Member, Preference, Role, SharedFile,
};
use crate::ports::{MockGroupEvents, MockGroupRepository, MockGroupUsers};

const NOW: Timestamp = Timestamp(1_700_000_000_000);
const G: GroupId = GroupId(100);
const OWNER: UserId = UserId(1);
const ADMIN: UserId = UserId(2);
const MEMBER: UserId = UserId(3);
const OUTSIDER: UserId = UserId(4);
const CAREFUL: UserId = UserId(5);

#[derive(Default)]
struct World {
    group: Option<Group>,
    members: HashMap<UserId, Member>,
    blocked: HashSet<UserId>,
    kicks: HashMap<UserId, i64>,
    invitations: Vec<Invitation>,
    requests: Vec<JoinRequest>,
    removed: Vec<(UserId, bool)>,
    files: Vec<SharedFile>,
}

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

fn group(settings: GroupSettings) -> Group {
    Group {
        id: G,
        name: "g".into(),
        description: String::new(),
        avatar: String::new(),
        ext: String::new(),
        kind: GroupType::Private,
        owner: OWNER,
        settings,
        destroyed: false,
        capacity: 4,
        qr_key: "secret-key".into(),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn world(settings: GroupSettings) -> Arc<Mutex<World>> {
    let mut w = World {
        group: Some(group(settings)),
        ..World::default()
    };
    for (user, role) in [
        (OWNER, Role::Owner),
        (ADMIN, Role::Admin),
        (MEMBER, Role::Member),
    ] {
        w.members.insert(user, Member::new(G, user, role, NOW));
    }
    Arc::new(Mutex::new(w))
}

fn lock(w: &Arc<Mutex<World>>) -> std::sync::MutexGuard<'_, World> {
    w.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn groups(w: &Arc<Mutex<World>>) -> Groups {
    let mut repo = MockGroupRepository::new();
    let s = w.clone();
    repo.expect_group()
        .returning(move |_, id| Ok(lock(&s).group.clone().filter(|g| g.id == id)));
    let s = w.clone();
    repo.expect_change_group()
        .returning(move |_, _, change, _| {
            let mut w = lock(&s);
            let Some(g) = w.group.as_mut().filter(|g| !g.destroyed) else {
                return Ok(false);
            };
            match change {
                GroupChange::Name(v) => g.name = v.clone(),
                GroupChange::MemberModify(v) => g.settings.member_modify = *v,
                GroupChange::HistoryVisible(v) => g.settings.history_visible = *v,
                GroupChange::BanExpireTime(v) => g.settings.ban_expire_time = *v,
                _ => {}
            }
            Ok(true)
        });
    let s = w.clone();
    repo.expect_destroy_group().returning(move |_, _, _| {
        let mut w = lock(&s);
        let Some(g) = w.group.as_mut().filter(|g| !g.destroyed) else {
            return Ok(false);
        };
        g.destroyed = true;
        Ok(true)
    });
    let s = w.clone();
    repo.expect_member()
        .returning(move |_, _, user| Ok(lock(&s).members.get(&user).cloned()));
    let s = w.clone();
    repo.expect_set_role()
        .returning(move |_, _, user, from, to| {
            let mut w = lock(&s);
            match w.members.get_mut(&user) {
                Some(m) if m.role == from => {
                    m.role = to;
                    Ok(true)
                }
                _ => Ok(false),
            }
        });
    let s = w.clone();
    repo.expect_set_muted()
        .returning(move |_, _, user, _, until| {
            let mut w = lock(&s);
            Ok(w.members
                .get_mut(&user)
                .map(|m| m.muted_until = until)
                .is_some())
        });
    let s = w.clone();
    repo.expect_set_preference()
        .returning(move |_, _, user, preference| {
            let mut w = lock(&s);
            let Some(m) = w.members.get_mut(&user) else {
                return Ok(false);
            };
            match preference {
                Preference::DisplayName(v) => m.display_name = v.clone(),
                Preference::MuteMode(v) => m.msg_mute_mode = *v,
                Preference::PushMode(v) => m.msg_push_mode = *v,
            }
            Ok(true)
        });
    let s = w.clone();
    repo.expect_join().returning(move |_, member, limits| {
        let mut w = lock(&s);
        if w.members.contains_key(&member.user) {
            return Ok(JoinOutcome::AlreadyMember);
        }
        if w.blocked.contains(&member.user) {
            return Ok(JoinOutcome::Blacklisted);
        }
        if w.kicks.get(&member.user).copied().unwrap_or(0) > limits.kick_limit {
            return Ok(JoinOutcome::KickedTooOften);
        }
        if w.members.len() as i64 >= limits.capacity {
            return Ok(JoinOutcome::Full);
        }
        w.members.insert(member.user, member.clone());
        Ok(JoinOutcome::Joined)
    });
    let s = w.clone();
    repo.expect_remove_members()
        .returning(move |_, _, users, kicked| {
            let mut w = lock(&s);
            for u in users {
                w.members.remove(u);
                w.removed.push((*u, kicked));
                if kicked {
                    *w.kicks.entry(*u).or_default() += 1;
                }
            }
            Ok(())
        });
    let s = w.clone();
    repo.expect_kick_count()
        .returning(move |_, _, u| Ok(lock(&s).kicks.get(&u).copied().unwrap_or(0)));
    let s = w.clone();
    repo.expect_is_blocked()
        .returning(move |_, _, u| Ok(lock(&s).blocked.contains(&u)));
    let s = w.clone();
    repo.expect_joined_groups().returning(move |_, u| {
        Ok(if lock(&s).members.contains_key(&u) {
            vec![G]
        } else {
            Vec::new()
        })
    });
    repo.expect_owned_count()
        .returning(|_, u| Ok(i64::from(u == OWNER)));
    repo.expect_create_group().returning(|_, _, _| Ok(()));
    let s = w.clone();
    repo.expect_save_invitation().returning(move |_, i| {
        lock(&s).invitations.push(i.clone());
        Ok(())
    });
    let s = w.clone();
    repo.expect_save_join_request().returning(move |_, r| {
        lock(&s).requests.push(r.clone());
        Ok(())
    });
    repo.expect_transfer_owner()
        .returning(|_, _, _, _, _| Ok(true));
    let s = w.clone();
    repo.expect_file()
        .returning(move |_, _, id| Ok(lock(&s).files.iter().find(|f| f.id == id).cloned()));
    repo.expect_rename_file().returning(|_, _| Ok(()));
    let s = w.clone();
    repo.expect_member_count()
        .returning(move |_, _| Ok(lock(&s).members.len() as i64));
    repo.expect_member_page()
        .returning(|_, _, _, _| Ok((Vec::new(), 3)));
    let mut users = MockGroupUsers::new();
    users.expect_invitees().returning(|_, ids| {
        Ok(ids
            .iter()
            .filter(|u| u.0 < 10)
            .map(|u| (*u, *u == CAREFUL))
            .collect())
    });
    let mut events = MockGroupEvents::new();
    events.expect_publish().return_const(());
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    let mut ids = MockIdGenerator::new();
    ids.expect_next_id().return_const(555_i64);
    Groups::new(GroupsDeps {
        groups: Arc::new(repo),
        users: Arc::new(users),
        events: Arc::new(events),
        ids: Arc::new(ids),
        clock: Arc::new(clock),
        policy: GroupsPolicy {
            capacity: 4,
            max_owned: 1,
            max_joined: 10,
            kick_limit: 3,
            request_ttl_secs: 60,
            qr_ttl_secs: 60,
        },
    })
}

fn ok<T>(r: Result<T, GroupError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn creating_applies_the_limits_and_the_documented_defaults() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let too_many = g.create(&as_user(OWNER), NewGroup::default()).await;
    assert!(matches!(too_many, Err(GroupError::TooManyCreated)));
    let unknown = g
        .create(
            &as_user(MEMBER),
            NewGroup {
                users: vec![UserId(77)],
                ..NewGroup::default()
            },
        )
        .await;
    assert!(matches!(unknown, Err(GroupError::UserNotFound)));
    let full = g
        .create(
            &as_user(MEMBER),
            NewGroup {
                users: vec![UserId(6), UserId(7), UserId(8), UserId(9)],
                ..NewGroup::default()
            },
        )
        .await;
    assert!(matches!(full, Err(GroupError::GroupFull)));
    let bad_type = g
        .create(
            &as_user(MEMBER),
            NewGroup {
                kind: Some(1),
                ..NewGroup::default()
            },
        )
        .await;
    assert!(matches!(bad_type, Err(GroupError::InvalidInput(_))));
    let view = ok(g
        .create(
            &as_user(MEMBER),
            NewGroup {
                name: "n".into(),
                users: vec![OUTSIDER, MEMBER],
                ..NewGroup::default()
            },
        )
        .await);
    assert_eq!(view.group.owner, MEMBER);
    assert_eq!(view.member_count, 2, "the creator is not listed twice");
    assert_eq!(view.group.settings, GroupSettings::default());
    assert_eq!(view.me.map(|m| m.role), Some(Role::Owner));
}

#[tokio::test]
async fn roles_decide_who_may_change_info_and_settings() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let by_member = g
        .update_info(&as_user(MEMBER), G, InfoField::Name, "x".into())
        .await;
    assert!(matches!(by_member, Err(GroupError::NeedAdmin)));
    let by_outsider = g
        .update_info(&as_user(OUTSIDER), G, InfoField::Name, "x".into())
        .await;
    assert!(matches!(by_outsider, Err(GroupError::NeedMember)));
    ok(
        g.update_info(&as_user(ADMIN), G, InfoField::Name, "new".into())
            .await,
    );
    ok(
        g.update_setting(&as_user(ADMIN), G, Setting::MemberModify, true)
            .await,
    );
    ok(
        g.update_info(&as_user(MEMBER), G, InfoField::Ext, "{}".into())
            .await,
    );
    assert_eq!(
        lock(&w).group.as_ref().map(|g| g.name.clone()),
        Some("new".into())
    );
    let setting = g
        .update_setting(&as_user(MEMBER), G, Setting::ReadAck, true)
        .await;
    assert!(matches!(setting, Err(GroupError::NeedAdmin)));
}

#[tokio::test]
async fn admin_tokens_act_as_group_admin_or_operator() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let group_admin = Principal {
        app: app(),
        actor: Actor::AdminOfGroup(G),
    };
    ok(
        g.update_setting(&group_admin, G, Setting::HistoryVisible, true)
            .await,
    );
    let destroy = g.destroy(&group_admin, G).await;
    assert!(matches!(destroy, Err(GroupError::NeedOwner)));
    let elsewhere = Principal {
        app: app(),
        actor: Actor::AdminOfGroup(GroupId(9)),
    };
    assert!(matches!(
        g.admins(&elsewhere, G).await,
        Err(GroupError::NoPermission(_))
    ));
    let operator = Principal {
        app: app(),
        actor: Actor::Admin,
    };
    ok(g.destroy(&operator, G).await);
    assert_eq!(lock(&w).group.as_ref().map(|g| g.destroyed), Some(true));
    assert!(matches!(
        g.admins(&operator, G).await,
        Err(GroupError::GroupNotFound)
    ));
}

#[tokio::test]
async fn kicks_respect_roles_and_are_counted() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let outcomes = ok(g
        .kick(&as_user(ADMIN), G, vec![MEMBER, OWNER, ADMIN, OUTSIDER])
        .await);
    let failures: Vec<bool> = outcomes.iter().map(|o| o.failure.is_some()).collect();
    assert_eq!(failures, vec![false, true, true, true]);
    assert_eq!(lock(&w).removed, vec![(MEMBER, true)]);
    let by_member = g.kick(&as_user(MEMBER), G, vec![ADMIN]).await;
    assert!(
        matches!(by_member, Err(GroupError::NeedAdmin)),
        "the kicked member has no rights left"
    );
    let owner_kicks_admin = ok(g.kick(&as_user(OWNER), G, vec![ADMIN]).await);
    assert_eq!(owner_kicks_admin[0].failure, None);
}

#[tokio::test]
async fn a_user_kicked_more_than_three_times_cannot_rejoin() {
    let w = world(GroupSettings {
        apply_approval: ApplyApproval::AcceptAll,
        ..GroupSettings::default()
    });
    lock(&w).kicks.insert(OUTSIDER, 4);
    lock(&w).kicks.insert(CAREFUL, 3);
    let g = groups(&w);
    assert!(matches!(
        g.apply(&as_user(OUTSIDER), G, None).await,
        Err(GroupError::KickedTooOften)
    ));
    assert_eq!(
        ok(g.apply(&as_user(CAREFUL), G, None).await),
        Applied::Joined
    );
}

#[tokio::test]
async fn applications_follow_apply_approval_and_the_blacklist() {
    for (approval, expected) in [
        (ApplyApproval::AcceptAll, Some(Applied::Joined)),
        (ApplyApproval::AdminApproves, Some(Applied::Waiting)),
        (ApplyApproval::RejectAll, None),
    ] {
        let w = world(GroupSettings {
            apply_approval: approval,
            ..GroupSettings::default()
        });
        let g = groups(&w);
        let result = g.apply(&as_user(OUTSIDER), G, Some("hi".into())).await;
        match expected {
            Some(outcome) => assert_eq!(ok(result), outcome),
            None => assert!(matches!(result, Err(GroupError::NoPermission(_)))),
        }
    }
    let w = world(GroupSettings::default());
    lock(&w).blocked.insert(OUTSIDER);
    let g = groups(&w);
    assert!(matches!(
        g.apply(&as_user(OUTSIDER), G, None).await,
        Err(GroupError::Blacklisted)
    ));
    assert!(matches!(
        g.apply(&as_user(MEMBER), G, None).await,
        Err(GroupError::AlreadyMember)
    ));
}

#[tokio::test]
async fn invitations_wait_for_users_who_confirm_and_need_rights() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let outcomes = ok(g
        .invite(
            &as_user(MEMBER),
            G,
            vec![OUTSIDER, CAREFUL, UserId(42), ADMIN],
            None,
        )
        .await);
    let failures: Vec<bool> = outcomes.iter().map(|o| o.failure.is_some()).collect();
    assert_eq!(failures, vec![false, false, true, true]);
    assert!(lock(&w).members.contains_key(&OUTSIDER), "joined at once");
    assert!(
        !lock(&w).members.contains_key(&CAREFUL),
        "waits for consent"
    );
    assert_eq!(lock(&w).invitations[0].invitee, CAREFUL);
    assert_eq!(lock(&w).invitations[0].expires_at, NOW.plus_secs(60));

    let w = world(GroupSettings {
        member_invite: false,
        ..GroupSettings::default()
    });
    let g = groups(&w);
    let refused = g.invite(&as_user(MEMBER), G, vec![OUTSIDER], None).await;
    assert!(matches!(refused, Err(GroupError::NeedAdmin)));
    ok(g.invite(&as_user(ADMIN), G, vec![OUTSIDER], None).await);
}

#[tokio::test]
async fn the_owner_cannot_leave_and_transfers_only_to_members() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    assert!(matches!(
        g.leave(&as_user(OWNER), G).await,
        Err(GroupError::OwnerCannotLeave)
    ));
    assert!(matches!(
        g.leave(&as_user(OUTSIDER), G).await,
        Err(GroupError::NotMember)
    ));
    assert!(matches!(
        g.transfer(&as_user(ADMIN), G, MEMBER).await,
        Err(GroupError::NeedOwner)
    ));
    assert!(matches!(
        g.transfer(&as_user(OWNER), G, OUTSIDER).await,
        Err(GroupError::NewOwnerNotMember)
    ));
    ok(g.transfer(&as_user(OWNER), G, MEMBER).await);
    ok(g.leave(&as_user(MEMBER), G).await);
}

#[tokio::test]
async fn message_modes_are_range_checked() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    assert!(matches!(
        g.set_push_mode(&as_user(MEMBER), G, 5).await,
        Err(GroupError::InvalidPushMode)
    ));
    assert!(matches!(
        g.set_mute_mode(&as_user(MEMBER), G, 3).await,
        Err(GroupError::InvalidInput(_))
    ));
    ok(g.set_push_mode(&as_user(MEMBER), G, 4).await);
    ok(g.set_mute_mode(&as_user(MEMBER), G, 2).await);
    let member = lock(&w).members.get(&MEMBER).cloned();
    assert_eq!(
        member.map(|m| (m.msg_push_mode, m.msg_mute_mode)),
        Some((4, 2))
    );
}

#[tokio::test]
async fn qr_invitations_cannot_be_forged_or_used_after_expiry() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let code = ok(g.sign_qr(&as_user(MEMBER), G).await);
    assert_eq!(code.expires_at, NOW.plus_secs(60));
    let forged = code.qr_info.replace(
        &format!("{}.", code.expires_at.0),
        &format!("{}.", code.expires_at.0 + 1),
    );
    assert!(matches!(
        g.join_by_qr(&as_user(OUTSIDER), &forged).await,
        Err(GroupError::QrInvalid)
    ));
    assert!(matches!(
        g.join_by_qr(&as_user(OUTSIDER), "garbage").await,
        Err(GroupError::QrInvalid)
    ));
    let expired = crate::qr::sign("secret-key", G, Timestamp(NOW.0 - 1));
    assert!(matches!(
        g.join_by_qr(&as_user(OUTSIDER), &expired).await,
        Err(GroupError::QrExpired)
    ));
    assert_eq!(ok(g.join_by_qr(&as_user(OUTSIDER), &code.qr_info).await), G);
    assert!(lock(&w).members.contains_key(&OUTSIDER));
}

#[tokio::test]
async fn ban_all_is_in_seconds_and_only_admins_set_it() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    assert!(matches!(
        g.ban_all(&as_user(MEMBER), G, 10).await,
        Err(GroupError::NeedAdmin)
    ));
    assert!(matches!(
        g.ban_all(&as_user(ADMIN), G, 0).await,
        Err(GroupError::InvalidInput(_))
    ));
    let expire = ok(g.ban_all(&as_user(ADMIN), G, 10).await);
    assert_eq!(expire, NOW.0 / 1000 + 600);
    assert_eq!(ok(g.ban_all(&as_user(ADMIN), G, -1).await), -1);
    ok(g.unban_all(&as_user(ADMIN), G).await);
    assert_eq!(
        lock(&w).group.as_ref().map(|g| g.settings.ban_expire_time),
        Some(0)
    );
}

#[tokio::test]
async fn mutes_respect_roles() {
    let w = world(GroupSettings::default());
    let g = groups(&w);
    let outcomes = ok(g
        .mute(&as_user(ADMIN), G, vec![MEMBER, ADMIN, OWNER], 5)
        .await);
    let failures: Vec<bool> = outcomes.iter().map(|o| o.failure.is_some()).collect();
    assert_eq!(failures, vec![false, true, true]);
    let muted = lock(&w).members.get(&MEMBER).map(|m| m.muted_until);
    assert_eq!(muted, Some(NOW.0 + 300_000));
}

#[tokio::test]
async fn only_the_uploader_or_an_admin_renames_a_file() {
    let w = world(GroupSettings::default());
    lock(&w).files.push(SharedFile {
        id: 9,
        group: G,
        uploader: ADMIN,
        name: "a".into(),
        size: 1,
        kind: String::new(),
        url: "u".into(),
        created_at: NOW,
        updated_at: NOW,
    });
    let g = groups(&w);
    let by_member = g.rename_file(&as_user(MEMBER), G, 9, "b".into()).await;
    assert!(matches!(by_member, Err(GroupError::FileNoPermission)));
    assert!(matches!(
        g.rename_file(&as_user(MEMBER), G, 8, "b".into()).await,
        Err(GroupError::FileNotFound)
    ));
    ok(g.rename_file(&as_user(ADMIN), G, 9, "b".into()).await);
    ok(g.rename_file(&as_user(OWNER), G, 9, "c".into()).await);
}
