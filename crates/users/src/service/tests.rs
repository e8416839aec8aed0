//! Unit tests of the users service against mockall mocks of every port.

use std::sync::Arc;

use mockall::predicate::{always, eq};
use tidings_kernel::{
    Actor, AppId, DeviceSn, MockClock, MockIdGenerator, Principal, Timestamp, UserId,
};

use super::*;
use crate::LocalTokenCache;
use crate::model::{
    App, Device, Password, PasswordHash, Platform, Profile, Secret, TokenHash, TokenRecord, User,
    UserSettings, Username,
};
use crate::ports::{
    MockAppRepository, MockDeviceRepository, MockPasswordHasher, MockPresence, MockTokenRepository,
    MockUserRepository,
};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

#[derive(Default)]
struct Mocks {
    apps: MockAppRepository,
    users: MockUserRepository,
    devices: MockDeviceRepository,
    tokens: MockTokenRepository,
    hasher: MockPasswordHasher,
    presence: MockPresence,
    /// None: a cache that remembers nothing, so every lookup reaches `tokens`.
    token_cache: Option<Arc<LocalTokenCache>>,
}

fn app_id() -> AppId {
    AppId::parse("app1").unwrap_or_else(|_| unreachable!())
}

fn app(open: bool) -> App {
    App {
        id: app_id(),
        name: "App".into(),
        app_key: "k".repeat(24),
        master_secret_hash: Secret::hash_of("m"),
        registration_open: open,
        user_limit: 0,
        created_at: NOW,
    }
}

fn user(id: i64) -> User {
    User {
        id: UserId(id),
        app: app_id(),
        username: Username::parse(&format!("user{id}")).unwrap_or_else(|_| unreachable!()),
        password_hash: PasswordHash("hash".into()),
        profile: Profile::default(),
        settings: UserSettings::default(),
        banned: false,
        push_alias: None,
        badge: 0,
        details: crate::model::Details::default(),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn as_user(id: i64) -> Principal {
    Principal {
        app: app_id(),
        actor: Actor::User {
            user: UserId(id),
            device: DeviceSn(1),
        },
    }
}

fn as_admin() -> Principal {
    Principal {
        app: app_id(),
        actor: Actor::Admin,
    }
}

impl Mocks {
    fn with_app(mut self, open: bool) -> Self {
        self.apps
            .expect_find_app()
            .returning(move |_| Ok(Some(app(open))));
        self
    }

    fn with_user(mut self, u: User) -> Self {
        self.users
            .expect_find_user()
            .with(always(), eq(u.id))
            .returning(move |_, _| Ok(Some(u.clone())));
        self
    }

    fn build(self) -> Users {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let mut ids = MockIdGenerator::new();
        ids.expect_next_id().return_const(4242_i64);
        Users::new(UsersDeps {
            apps: Arc::new(self.apps),
            users: Arc::new(self.users),
            devices: Arc::new(self.devices),
            tokens: Arc::new(self.tokens),
            token_cache: self
                .token_cache
                .unwrap_or_else(|| Arc::new(LocalTokenCache::new(std::time::Duration::ZERO, 0))),
            hasher: Arc::new(self.hasher),
            presence: Arc::new(self.presence),
            ids: Arc::new(ids),
            clock: Arc::new(clock),
            policy: UsersPolicy { token_ttl_secs: 60 },
        })
    }
}

fn token_record(user: Option<i64>, expires_at: Option<Timestamp>) -> TokenRecord {
    TokenRecord {
        hash: TokenHash::of("tok"),
        app: app_id(),
        user: user.map(UserId),
        device: DeviceSn(if user.is_some() { 2 } else { 0 }),
        expires_at,
        created_at: NOW,
    }
}

fn with_token(mut mocks: Mocks, record: TokenRecord) -> Mocks {
    mocks
        .tokens
        .expect_find_token()
        .with(eq(TokenHash::of("tok")))
        .returning(move |_| Ok(Some(record.clone())));
    mocks
}

#[tokio::test]
async fn an_app_key_and_its_master_secret_act_as_the_apps_admin() {
    let mut mocks = Mocks::default();
    mocks
        .apps
        .expect_find_app_by_key()
        .withf(|key: &str| key == "k".repeat(24))
        .returning(|_| Ok(Some(app(true))));
    mocks.apps.expect_find_app_by_key().returning(|_| Ok(None));
    let users = mocks.build();
    let principal = users.authenticate_app(&"K".repeat(24), "m").await;
    assert_eq!(principal.ok(), Some(as_admin()));
    for (key, secret) in [
        ("k".repeat(24), "M"),
        ("k".repeat(24), ""),
        ("x".repeat(24), "m"),
    ] {
        let refused = users.authenticate_app(&key, secret).await;
        assert!(
            matches!(refused, Err(UserError::AppCredentialsInvalid)),
            "{key}:{secret}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_app_is_refused_before_anything_else() {
    let mut mocks = Mocks::default();
    mocks.apps.expect_find_app().returning(|_| Ok(None));
    // A token of another app does not prove this one exists.
    mocks.tokens.expect_find_token().returning(|_| Ok(None));
    let users = mocks.build();
    let err = users.authenticate(&app_id(), Some("tok"), None, None).await;
    assert!(matches!(err, Err(UserError::AppNotFound)));
}

#[tokio::test]
async fn a_missing_token_is_10003_and_an_unknown_one_10008() {
    let mut mocks = Mocks::default().with_app(true);
    mocks.tokens.expect_find_token().returning(|_| Ok(None));
    let users = mocks.build();
    let missing = users.authenticate(&app_id(), None, None, None).await;
    assert!(matches!(missing, Err(UserError::TokenMissing)));
    let unknown = users
        .authenticate(&app_id(), Some("nope"), None, None)
        .await;
    assert!(matches!(unknown, Err(UserError::TokenInvalid)));
}

#[tokio::test]
async fn a_token_of_another_app_is_invalid_here() {
    let mut record = token_record(Some(7), None);
    record.app = AppId::parse("other").unwrap_or_else(|_| unreachable!());
    let users = with_token(Mocks::default().with_app(true), record).build();
    let err = users.authenticate(&app_id(), Some("tok"), None, None).await;
    assert!(matches!(err, Err(UserError::TokenInvalid)));
}

#[tokio::test]
async fn an_expired_token_is_invalid() {
    let users = with_token(
        Mocks::default().with_app(true),
        token_record(Some(7), Some(NOW)),
    )
    .build();
    let err = users.authenticate(&app_id(), Some("tok"), None, None).await;
    assert!(matches!(err, Err(UserError::TokenInvalid)));
}

#[tokio::test]
async fn a_user_token_acts_as_its_user_on_its_device() {
    let record = token_record(Some(7), Some(NOW.plus_secs(1)));
    let users = with_token(Mocks::default().with_app(true), record).build();
    let principal = users
        .authenticate(&app_id(), Some("tok"), None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        principal.actor,
        Actor::User {
            user: UserId(7),
            device: DeviceSn(2)
        }
    );
}

#[tokio::test]
async fn a_connection_takes_a_user_token_and_learns_when_it_expires() {
    let expiry = NOW.plus_secs(30);
    let users = with_token(
        Mocks::default().with_app(true),
        token_record(Some(7), Some(expiry)),
    )
    .build();
    let grant = users
        .authenticate_connection(&app_id(), Some("tok"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(grant.expires_at, Some(expiry));
    assert_eq!((grant.user, grant.device), (UserId(7), DeviceSn(2)));
    assert!(matches!(
        grant.principal().actor,
        Actor::User {
            user: UserId(7),
            ..
        }
    ));

    let admin = with_token(Mocks::default().with_app(true), token_record(None, None)).build();
    let err = admin.authenticate_connection(&app_id(), Some("tok")).await;
    assert!(matches!(err, Err(UserError::NoPermission(_))));
}

#[tokio::test]
async fn a_user_token_may_not_impersonate() {
    let users = with_token(Mocks::default().with_app(true), token_record(Some(7), None)).build();
    let err = users
        .authenticate(&app_id(), Some("tok"), Some(UserId(8)), None)
        .await;
    assert!(matches!(err, Err(UserError::NoPermission(_))));
}

#[tokio::test]
async fn an_admin_token_impersonates_existing_users_only() {
    let mocks = with_token(Mocks::default().with_app(true), token_record(None, None));
    let mut mocks = mocks.with_user(user(8));
    mocks
        .users
        .expect_find_user()
        .with(always(), eq(UserId(9)))
        .returning(|_, _| Ok(None));
    let users = mocks.build();
    let principal = users
        .authenticate(&app_id(), Some("tok"), Some(UserId(8)), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(principal.actor, Actor::AdminAsUser(UserId(8)));
    let missing = users
        .authenticate(&app_id(), Some("tok"), Some(UserId(9)), None)
        .await;
    assert!(matches!(missing, Err(UserError::UserNotFound)));
}

#[tokio::test]
async fn login_of_an_unknown_user_still_runs_the_dummy_verify() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(None));
    mocks
        .hasher
        .expect_verify()
        .with(eq("pw12"), eq(None))
        .times(1)
        .returning(|_, _| Ok(false));
    let users = mocks.build();
    let err = users
        .login(
            &app_id(),
            LoginBy::Username("ghost".into()),
            "pw12",
            DeviceInfo::default(),
        )
        .await;
    assert!(matches!(err, Err(UserError::UserNotFound)));
}

#[tokio::test]
async fn login_with_a_wrong_password_is_11001_and_issues_nothing() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(Some(user(7))));
    mocks.hasher.expect_verify().returning(|_, _| Ok(false));
    mocks.tokens.expect_insert_user_token().never();
    let users = mocks.build();
    let err = users
        .login(
            &app_id(),
            LoginBy::Username("user7".into()),
            "bad!",
            DeviceInfo::default(),
        )
        .await;
    assert!(matches!(err, Err(UserError::WrongPassword)));
}

#[tokio::test]
async fn a_banned_user_cannot_log_in() {
    let mut mocks = Mocks::default().with_app(true);
    let mut banned = user(7);
    banned.banned = true;
    mocks
        .users
        .expect_find_user()
        .returning(move |_, _| Ok(Some(banned.clone())));
    mocks.hasher.expect_verify().returning(|_, _| Ok(true));
    let users = mocks.build();
    let err = users
        .login(
            &app_id(),
            LoginBy::UserId(UserId(7)),
            "good",
            DeviceInfo::default(),
        )
        .await;
    assert!(matches!(err, Err(UserError::NoPermission(_))));
}

#[tokio::test]
async fn login_with_a_device_registers_it_and_binds_the_token_to_it() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_login_name()
        .with(always(), eq("+8613800000000"))
        .returning(|_, _| Ok(Some(user(7))));
    mocks.hasher.expect_verify().returning(|_, _| Ok(true));
    mocks
        .devices
        .expect_login_device()
        .withf(|_, user, login| *user == UserId(7) && login.guid == "guid-1" && login.platform == 2)
        .returning(|_, user, login| {
            Ok(Device {
                user,
                sn: DeviceSn(3),
                guid: login.guid.clone(),
                platform: Platform::Android,
                user_agent: login.user_agent.clone(),
                push_token: "push-3".into(),
                vendor_token: None,
                created_at: NOW,
            })
        });
    mocks
        .tokens
        .expect_insert_user_token()
        .withf(|r, hash| {
            r.user == Some(UserId(7))
                && r.device == DeviceSn(3)
                && r.expires_at == Some(NOW.plus_secs(60))
                && hash.0 == "hash"
        })
        .times(1)
        .returning(|_, _| Ok(true));
    let users = mocks.build();
    let issued = users
        .login(
            &app_id(),
            LoginBy::LoginName("+8613800000000".into()),
            "good",
            DeviceInfo {
                guid: Some("guid-1".into()),
                platform: None,
                user_agent: "okhttp (Android 14)".into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(issued.device, DeviceSn(3));
    assert_eq!(issued.push_token.as_deref(), Some("push-3"));
    assert_eq!(issued.expire, NOW.plus_secs(60));
    assert_eq!(issued.token.len(), 43);
}

fn registration(name: &str) -> RegisterRequest {
    RegisterRequest {
        username: Username::parse(name).unwrap_or_else(|_| unreachable!()),
        password: Password::parse("secret").unwrap_or_else(|_| unreachable!()),
        mobile: None,
        email: None,
    }
}

#[tokio::test]
async fn a_login_racing_a_password_change_or_ban_gets_no_token() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(Some(user(7))));
    mocks.hasher.expect_verify().returning(|_, _| Ok(true));
    mocks
        .tokens
        .expect_insert_user_token()
        .times(1)
        .returning(|_, _| Ok(false));
    let err = mocks
        .build()
        .login(
            &app_id(),
            LoginBy::Username("user7".into()),
            "good",
            DeviceInfo::default(),
        )
        .await;
    assert!(matches!(err, Err(UserError::NoPermission(_))));
}

#[tokio::test]
async fn a_push_user_is_stored_with_alias_and_device_in_one_write() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(None));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash("h".into())));
    mocks
        .users
        .expect_insert_user()
        .withf(|u, _, device| {
            u.push_alias.as_deref() == Some("al")
                && device.is_some_and(|d| d.guid == "g1" && d.new_push_token == "pt")
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    mocks.users.expect_set_push_alias().never();
    mocks.devices.expect_login_device().never();
    mocks
        .build()
        .register_push_user(
            &app_id(),
            registration("pushy"),
            Some("al".into()),
            Some("g1".into()),
            Some("pt".into()),
            "ua",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn registration_is_refused_when_closed() {
    let mut mocks = Mocks::default().with_app(false);
    mocks.users.expect_insert_user().never();
    let err = mocks.build().register(&app_id(), registration("ann")).await;
    assert!(matches!(err, Err(UserError::RegistrationClosed)));
}

#[tokio::test]
async fn a_taken_username_is_refused_without_hashing() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(Some(user(1))));
    mocks.hasher.expect_hash().never();
    let err = mocks
        .build()
        .register(&app_id(), registration("user1"))
        .await;
    assert!(matches!(err, Err(UserError::UserExists)));
}

#[tokio::test]
async fn registration_stores_a_hashed_password_and_default_settings() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(None));
    mocks
        .hasher
        .expect_hash()
        .with(eq("secret"))
        .returning(|_| Ok(PasswordHash("bcrypted".into())));
    mocks
        .users
        .expect_insert_user()
        .withf(|u, limit, device| {
            u.id == UserId(4242)
                && u.password_hash.0 == "bcrypted"
                && u.settings == UserSettings::default()
                && *limit == 0
                && device.is_none()
        })
        .returning(|_, _, _| Ok(true));
    let user = mocks
        .build()
        .register(&app_id(), registration("ann"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.username.as_str(), "ann");
}

#[tokio::test]
async fn registration_past_the_user_limit_is_40002() {
    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, _| Ok(None));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash("h".into())));
    mocks
        .users
        .expect_insert_user()
        .returning(|_, _, _| Ok(false));
    let err = mocks.build().register(&app_id(), registration("ann")).await;
    assert!(matches!(err, Err(UserError::UserLimitReached)));
}

#[tokio::test]
async fn batch_registration_needs_an_admin_and_reports_each_item() {
    let users = Mocks::default().build();
    let err = users
        .register_batch(&as_user(1), vec![("a".into(), "pass".into())])
        .await;
    assert!(matches!(err, Err(UserError::NoPermission(_))));

    let mut mocks = Mocks::default().with_app(true);
    mocks
        .users
        .expect_find_by_username()
        .returning(|_, name| Ok((name == "taken").then(|| user(1))));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash("h".into())));
    mocks
        .users
        .expect_insert_user()
        .returning(|_, _, _| Ok(true));
    let results = mocks
        .build()
        .register_batch(
            &as_admin(),
            vec![
                ("fresh".into(), "pass".into()),
                ("taken".into(), "pass".into()),
                ("12345".into(), "pass".into()),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(results[0].user_id, Some(UserId(4242)));
    assert_eq!(results[0].failure, None);
    assert_eq!(results[1].failure.as_deref(), Some("user already exists"));
    assert!(results[2].failure.is_some());
}

#[tokio::test]
async fn deleting_with_a_user_token_needs_the_right_password() {
    let mut mocks = Mocks::default().with_user(user(7));
    mocks.hasher.expect_verify().returning(|_, _| Ok(false));
    mocks.users.expect_delete_users().never();
    let err = mocks.build().delete_user(&as_user(7), Some("bad")).await;
    assert!(matches!(err, Err(UserError::WrongPassword)));
}

#[tokio::test]
async fn an_admin_deletes_without_a_password_and_connections_close() {
    let mut mocks = Mocks::default().with_user(user(7));
    mocks.hasher.expect_verify().never();
    mocks
        .users
        .expect_delete_users()
        .withf(|_, ids| ids == [UserId(7)])
        .times(1)
        .returning(|_, _| Ok(()));
    mocks
        .presence
        .expect_disconnect()
        .with(always(), eq(UserId(7)), eq(None))
        .times(1)
        .return_const(());
    let principal = Principal {
        app: app_id(),
        actor: Actor::AdminAsUser(UserId(7)),
    };
    mocks
        .build()
        .delete_user(&principal, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_password_change_checks_the_old_one_then_revokes_and_disconnects() {
    let mut mocks = Mocks::default().with_user(user(7));
    mocks
        .hasher
        .expect_verify()
        .with(eq("old-pw"), always())
        .returning(|_, _| Ok(true));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash("new".into())));
    mocks
        .users
        .expect_change_password()
        .withf(|_, id, hash| *id == UserId(7) && hash.0 == "new")
        .times(1)
        .returning(|_, _, _| Ok(()));
    mocks.presence.expect_disconnect().times(1).return_const(());
    let new = Password::parse("new-pw").unwrap_or_else(|_| unreachable!());
    mocks
        .build()
        .change_password(&as_user(7), "old-pw", new)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn kicking_one_device_revokes_its_tokens_and_closes_its_connections() {
    let mut mocks = Mocks::default();
    mocks.devices.expect_list_devices().returning(|_, user| {
        Ok(vec![Device {
            user,
            sn: DeviceSn(2),
            guid: "g".into(),
            platform: Platform::Web,
            user_agent: String::new(),
            push_token: "p".into(),
            vendor_token: None,
            created_at: NOW,
        }])
    });
    mocks
        .tokens
        .expect_revoke_user_tokens()
        .with(always(), eq(UserId(7)), eq(Some(DeviceSn(2))))
        .times(1)
        .returning(|_, _, _| Ok(1));
    mocks
        .presence
        .expect_disconnect()
        .with(always(), eq(UserId(7)), eq(Some(DeviceSn(2))))
        .times(1)
        .return_const(());
    let users = mocks.build();
    users
        .kick(&as_user(7), Some(DeviceSn(2)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let unknown = users.kick(&as_user(7), Some(DeviceSn(5))).await;
    assert!(matches!(unknown, Err(UserError::DeviceNotFound(5))));
}

#[tokio::test]
async fn a_user_token_is_looked_up_once_and_forgotten_when_revoked() {
    let mut mocks = Mocks::default().with_app(true);
    mocks.token_cache = Some(Arc::new(LocalTokenCache::new(
        std::time::Duration::from_secs(60),
        100,
    )));
    let record = token_record(Some(7), Some(NOW.plus_secs(60)));
    mocks
        .tokens
        .expect_find_token()
        .times(2)
        .returning(move |_| Ok(Some(record.clone())));
    mocks
        .devices
        .expect_list_devices()
        .returning(|_, _| Ok(Vec::new()));
    mocks
        .tokens
        .expect_revoke_user_tokens()
        .returning(|_, _, _| Ok(1));
    mocks.presence.expect_disconnect().return_const(());
    let users = mocks.build();
    let app = app_id();
    let auth = || users.authenticate(&app, Some("tok"), None, None);
    for _ in 0..3 {
        assert!(auth().await.is_ok());
    }
    // Kicking every device forgets the user's tokens: the next request looks again.
    users
        .kick(&as_user(7), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(auth().await.is_ok());
}

#[tokio::test]
async fn banning_an_unknown_user_changes_nothing_and_closes_nothing() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_set_banned()
        .returning(|_, _, _| Ok(false));
    mocks.presence.expect_disconnect().never();
    let err = mocks
        .build()
        .set_banned(&as_admin(), vec![UserId(1)], true)
        .await;
    assert!(matches!(err, Err(UserError::UserNotFound)));
}

#[tokio::test]
async fn only_admins_list_users_and_pages_are_bounded() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_list_users()
        .with(always(), eq(100_i64), eq(50_i64))
        .returning(|_, _, _| Ok(vec![user(1)]));
    let users = mocks.build();
    assert!(matches!(
        users.list_users(&as_user(1), None, None).await,
        Err(UserError::NoPermission(_))
    ));
    assert!(matches!(
        users.list_users(&as_admin(), Some(0), None).await,
        Err(UserError::InvalidInput(_))
    ));
    let page = users
        .list_users(&as_admin(), Some(3), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.len(), 1);
}

#[tokio::test]
async fn an_admin_without_user_id_cannot_use_user_operations() {
    let err = Mocks::default().build().settings(&as_admin()).await;
    assert!(matches!(err, Err(UserError::InvalidInput(_))));
}

#[tokio::test]
async fn push_tags_are_deduplicated_and_capped() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_push_tags()
        .returning(|_, _| Ok((0..99).map(|i| format!("t{i:02}")).collect()));
    mocks
        .users
        .expect_add_push_tags()
        .withf(|_, _, tags| tags == ["new".to_owned()])
        .times(1)
        .returning(|_, _, _| Ok(()));
    let users = mocks.build();
    users
        .add_push_tags(&as_user(7), vec!["new".into(), " new ".into()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let over = users
        .add_push_tags(&as_user(7), vec!["x1".into(), "x2".into()])
        .await;
    assert!(matches!(over, Err(UserError::InvalidInput(_))));
}

fn device_on(user: i64, sn: i64, platform: Platform) -> Device {
    Device {
        user: UserId(user),
        sn: DeviceSn(sn),
        guid: format!("g{sn}"),
        platform,
        user_agent: String::new(),
        push_token: format!("push-{sn}"),
        vendor_token: None,
        created_at: NOW,
    }
}

#[tokio::test]
async fn device_status_tells_logged_in_from_online_per_device_in_the_order_asked() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_ids_by_username()
        .returning(|_, _| Ok(vec![("ann".into(), UserId(1)), ("bob".into(), UserId(2))]));
    mocks
        .devices
        .expect_device_logins()
        .withf(|_, users, now| users.len() == 2 && *now == NOW)
        .returning(|_, _, _| {
            Ok(vec![
                (device_on(1, 1, Platform::Android), true),
                (device_on(1, 2, Platform::Ios), false),
            ])
        });
    mocks
        .presence
        .expect_is_device_online()
        .returning(|_, _, sn| sn == DeviceSn(2));
    let users = mocks.build();
    let names = ["nobody".to_owned(), "ann".to_owned(), "bob".to_owned()];
    let found = users
        .device_status(&as_admin(), &names)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 3);
    assert_eq!(
        (found[0].username.as_str(), found[0].user),
        ("nobody", None)
    );
    assert!(found[0].devices.is_empty());
    assert_eq!(found[1].user, Some(UserId(1)));
    assert_eq!(
        found[1].devices,
        vec![
            DeviceStatus {
                sn: DeviceSn(1),
                platform: Platform::Android,
                logged_in: true,
                online: false
            },
            DeviceStatus {
                sn: DeviceSn(2),
                platform: Platform::Ios,
                logged_in: false,
                online: true
            },
        ]
    );
    assert_eq!(
        (found[2].user, found[2].devices.len()),
        (Some(UserId(2)), 0)
    );
}

#[tokio::test]
async fn device_status_is_for_admins_and_a_bounded_list() {
    let users = Mocks::default().build();
    let one = ["ann".to_owned()];
    assert!(matches!(
        users.device_status(&as_user(1), &one).await,
        Err(UserError::NoPermission(_))
    ));
    assert!(matches!(
        users.device_status(&as_admin(), &[]).await,
        Err(UserError::InvalidInput(_))
    ));
    let many: Vec<String> = (0..=MAX_STATUS_USERS).map(|i| format!("u{i}")).collect();
    assert!(matches!(
        users.device_status(&as_admin(), &many).await,
        Err(UserError::InvalidInput(_))
    ));
}
