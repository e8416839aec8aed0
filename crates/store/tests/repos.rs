//! Repository tests, each run on SQLite and (with `TIDINGS_TEST_POSTGRES_URL`) PostgreSQL.

use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};
use tidings_store::{Store, store_test};
use tidings_users::model::{
    App, Email, Mobile, PasswordHash, Profile, ProfileChange, Secret, SettingsPatch, TokenHash,
    TokenRecord, User, UserSettings, Username,
};
use tidings_users::ports::{
    AppRepository, DeviceLogin, DeviceRepository, TokenRepository, UserRepository,
};
use tidings_users::{RepoError, Unique};

fn app(id: &str) -> anyhow::Result<App> {
    Ok(App {
        id: AppId::parse(id)?,
        name: format!("App {id}"),
        app_key: Secret::lowercase(24),
        master_secret_hash: Secret::hash_of("secret"),
        registration_open: true,
        user_limit: 0,
        created_at: Timestamp(1),
    })
}

fn token(app: &App, user: Option<i64>, device: i64, secret: &str) -> TokenRecord {
    TokenRecord {
        hash: TokenHash::of(secret),
        app: app.id.clone(),
        user: user.map(UserId),
        device: DeviceSn(device),
        expires_at: user.map(|_| Timestamp(10_000)),
        created_at: Timestamp(1),
    }
}

fn user(app: &App, id: i64, name: &str) -> User {
    User {
        id: UserId(id),
        app: app.id.clone(),
        username: Username::from_stored(name.into()),
        password_hash: PasswordHash("$2b$04$hash".into()),
        profile: Profile::default(),
        settings: UserSettings::default(),
        banned: false,
        push_alias: None,
        badge: 0,
        details: tidings_users::model::Details::default(),
        created_at: Timestamp(2),
        updated_at: Timestamp(2),
    }
}

async fn setup(store: &Store) -> anyhow::Result<App> {
    let app = app("app1")?;
    store
        .create_app(&app, &token(&app, None, 0, "admin"))
        .await?;
    Ok(app)
}

fn login(guid: &str) -> DeviceLogin {
    DeviceLogin {
        guid: guid.into(),
        platform: 2,
        user_agent: "ua".into(),
        new_push_token: format!("push-{guid}"),
        now: Timestamp(5),
    }
}

async fn apps_round_trip_with_their_admin_token(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    assert_eq!(store.find_app(&app.id).await?, Some(app.clone()));
    assert_eq!(store.find_app(&AppId::parse("nope")?).await?, None);
    let admin = store.find_token(&TokenHash::of("admin")).await?;
    assert_eq!(admin, Some(token(&app, None, 0, "admin")));
    let mut changed = app.clone();
    changed.registration_open = false;
    changed.user_limit = 3;
    store.update_app(&changed).await?;
    assert_eq!(store.list_apps().await?, vec![changed]);
    Ok(())
}
store_test!(apps_round_trip_with_their_admin_token);

async fn users_round_trip_and_names_are_unique_per_app(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    let other = app_named(&store, "app2").await?;
    let mut ann = user(&app, 10, "ann");
    ann.profile.mobile = Some(Mobile::parse("+15550001")?);
    ann.profile.email = Some(Email::parse("ann@example.com")?);
    assert!(store.insert_user(&ann, 0, None).await?);
    assert_eq!(
        store.find_user(&app.id, UserId(10)).await?,
        Some(ann.clone())
    );
    assert_eq!(store.find_user(&other.id, UserId(10)).await?, None);

    let clash = store.insert_user(&user(&app, 11, "ann"), 0, None).await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::Username))));
    let mut same_mobile = user(&app, 12, "bob");
    same_mobile.profile.mobile = ann.profile.mobile.clone();
    let clash = store.insert_user(&same_mobile, 0, None).await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::Mobile))));
    let mut same_email = user(&app, 13, "cid");
    same_email.profile.email = ann.profile.email.clone();
    let clash = store.insert_user(&same_email, 0, None).await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::Email))));

    // The same name in another app is another user.
    assert!(store.insert_user(&user(&other, 14, "ann"), 0, None).await?);
    Ok(())
}
store_test!(users_round_trip_and_names_are_unique_per_app);

async fn app_named(store: &Store, id: &str) -> anyhow::Result<App> {
    let app = app(id)?;
    store
        .create_app(&app, &token(&app, None, 0, &format!("admin-{id}")))
        .await?;
    Ok(app)
}

async fn login_names_find_by_username_mobile_or_email(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    let mut ann = user(&app, 10, "ann");
    ann.profile.mobile = Some(Mobile::parse("15550001")?);
    ann.profile.email = Some(Email::parse("ann@example.com")?);
    store.insert_user(&ann, 0, None).await?;
    for login in ["ann", "15550001", "ANN@example.com"] {
        let found = store.find_by_login_name(&app.id, login).await?;
        assert_eq!(found.map(|u| u.id), Some(UserId(10)), "{login}");
    }
    assert_eq!(store.find_by_login_name(&app.id, "bob").await?, None);
    Ok(())
}
store_test!(login_names_find_by_username_mobile_or_email);

async fn the_user_limit_stops_inserts(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    assert!(store.insert_user(&user(&app, 1, "a1"), 2, None).await?);
    assert!(store.insert_user(&user(&app, 2, "a2"), 2, None).await?);
    assert!(!store.insert_user(&user(&app, 3, "a3"), 2, None).await?);
    assert_eq!(store.find_user(&app.id, UserId(3)).await?, None);
    Ok(())
}
store_test!(the_user_limit_stops_inserts);

async fn users_are_found_by_name_and_deleted_together(store: Store) -> anyhow::Result<()> {
    let (app, other) = (app("app1")?, app("app2")?);
    store.create_app(&app, &token(&app, None, 0, "t1")).await?;
    store
        .create_app(&other, &token(&other, None, 0, "t2"))
        .await?;
    for (id, name) in [(1, "ann"), (2, "bob"), (3, "cid")] {
        store.insert_user(&user(&app, id, name), 0, None).await?;
    }
    store.insert_user(&user(&other, 4, "ann"), 0, None).await?;
    let mut found = store
        .ids_by_username(&app.id, &["ann".into(), "cid".into(), "nobody".into()])
        .await?;
    found.sort();
    assert_eq!(
        found,
        vec![("ann".into(), UserId(1)), ("cid".into(), UserId(3))]
    );
    let hash = PasswordHash("$2b$04$hash".into());
    assert!(
        store
            .insert_user_token(&token(&app, Some(1), 1, "ann-tok"), &hash)
            .await?
    );
    store.delete_users(&app.id, &[UserId(1), UserId(3)]).await?;
    assert_eq!(store.find_user(&app.id, UserId(1)).await?, None);
    assert_eq!(store.find_user(&app.id, UserId(3)).await?, None);
    assert!(store.find_user(&app.id, UserId(2)).await?.is_some());
    assert_eq!(store.find_token(&TokenHash::of("ann-tok")).await?, None);
    // The other app's ann is another user, untouched.
    assert!(store.find_user(&other.id, UserId(4)).await?.is_some());
    Ok(())
}
store_test!(users_are_found_by_name_and_deleted_together);

async fn profile_settings_and_username_updates_persist(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store.insert_user(&user(&app, 2, "bob"), 0, None).await?;
    // Two patches naming different fields: neither undoes the other.
    let first = ProfileChange {
        nick_name: Some("Ann".into()),
        mobile: Some(Some(Mobile::parse("15550002")?)),
        ..ProfileChange::default()
    };
    let details = tidings_users::model::Details {
        birthday: Some(tidings_users::model::Birthday::parse("1990-01-24")?),
        gender: Some(tidings_users::model::Gender::Female),
        signature: Some("orz".into()),
        region: Some("shenzhen".into()),
        address: None,
        extras: Some(r#"{"k":"v"}"#.into()),
    };
    let second = ProfileChange {
        avatar: Some("http://x/a.png".into()),
        description: Some("d".into()),
        public_info: Some("pub".into()),
        private_info: Some("priv".into()),
        details: details.clone(),
        ..ProfileChange::default()
    };
    store
        .update_profile(&app.id, UserId(1), &first, Timestamp(5))
        .await?;
    store
        .update_profile(&app.id, UserId(1), &second, Timestamp(6))
        .await?;
    let profile = Profile {
        nick_name: "Ann".into(),
        avatar: "http://x/a.png".into(),
        mobile: Some(Mobile::parse("15550002")?),
        email: None,
        description: "d".into(),
        public_info: "pub".into(),
        private_info: "priv".into(),
    };
    let push_off = SettingsPatch {
        no_push: Some(true),
        ..SettingsPatch::default()
    };
    let nick = SettingsPatch {
        push_nick_name: Some("A".into()),
        ..SettingsPatch::default()
    };
    store.update_settings(&app.id, UserId(1), &push_off).await?;
    store.update_settings(&app.id, UserId(1), &nick).await?;
    let settings = UserSettings {
        no_push: true,
        push_nick_name: "A".into(),
        ..UserSettings::default()
    };
    store
        .update_username(&app.id, UserId(1), &Username::parse("ann2")?, Timestamp(7))
        .await?;
    let clash = store
        .update_username(&app.id, UserId(2), &Username::parse("ann2")?, Timestamp(8))
        .await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::Username))));
    let stored = store.find_user(&app.id, UserId(1)).await?;
    let stored = stored.ok_or_else(|| anyhow::anyhow!("missing"))?;
    assert_eq!(stored.profile, profile);
    assert_eq!(stored.details, details);
    assert_eq!(stored.settings, settings);
    assert_eq!(stored.username.as_str(), "ann2");
    assert_eq!(stored.updated_at, Timestamp(7));
    assert_eq!(stored.created_at, Timestamp(2));
    // Clearing the mobile number writes NULL.
    let clear = ProfileChange {
        mobile: Some(None),
        ..ProfileChange::default()
    };
    store
        .update_profile(&app.id, UserId(1), &clear, Timestamp(9))
        .await?;
    let stored = store.find_user(&app.id, UserId(1)).await?;
    assert_eq!(
        stored.map(|u| (
            u.profile.mobile,
            u.profile.nick_name,
            u.details,
            u.updated_at
        )),
        Some((None, "Ann".into(), details, Timestamp(9)))
    );
    // A user never changed reads its registration time.
    let bob = store.find_user(&app.id, UserId(2)).await?;
    assert_eq!(
        bob.map(|u| (u.details, u.updated_at)),
        Some((tidings_users::model::Details::default(), Timestamp(2)))
    );
    Ok(())
}
store_test!(profile_settings_and_username_updates_persist);

async fn a_password_change_revokes_every_token_of_the_user(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store.insert_user(&user(&app, 2, "bob"), 0, None).await?;
    store.insert_token(&token(&app, Some(1), 1, "t1")).await?;
    store.insert_token(&token(&app, Some(1), 2, "t2")).await?;
    store.insert_token(&token(&app, Some(2), 1, "t3")).await?;
    store
        .change_password(&app.id, UserId(1), &PasswordHash("new".into()))
        .await?;
    assert_eq!(store.find_token(&TokenHash::of("t1")).await?, None);
    assert_eq!(store.find_token(&TokenHash::of("t2")).await?, None);
    assert!(store.find_token(&TokenHash::of("t3")).await?.is_some());
    let ann = store.find_user(&app.id, UserId(1)).await?;
    assert_eq!(ann.map(|u| u.password_hash.0), Some("new".into()));
    Ok(())
}
store_test!(a_password_change_revokes_every_token_of_the_user);

async fn banning_is_all_or_nothing(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store.insert_token(&token(&app, Some(1), 0, "t1")).await?;
    assert!(
        !store
            .set_banned(&app.id, &[UserId(1), UserId(99)], true)
            .await?
    );
    let ann = store.find_user(&app.id, UserId(1)).await?;
    assert_eq!(ann.map(|u| u.banned), Some(false));
    assert!(store.find_token(&TokenHash::of("t1")).await?.is_some());

    assert!(
        store
            .set_banned(&app.id, &[UserId(1), UserId(1)], true)
            .await?
    );
    let ann = store.find_user(&app.id, UserId(1)).await?;
    assert_eq!(ann.map(|u| u.banned), Some(true));
    assert_eq!(store.find_token(&TokenHash::of("t1")).await?, None);
    assert!(store.set_banned(&app.id, &[UserId(1)], false).await?);
    Ok(())
}
store_test!(banning_is_all_or_nothing);

async fn devices_get_serial_numbers_and_removal_revokes_their_tokens(
    store: Store,
) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    let first = store.login_device(&app.id, UserId(1), &login("g1")).await?;
    let second = store.login_device(&app.id, UserId(1), &login("g2")).await?;
    let again = store.login_device(&app.id, UserId(1), &login("g1")).await?;
    assert_eq!(
        (first.sn, second.sn, again.sn),
        (DeviceSn(1), DeviceSn(2), DeviceSn(1))
    );
    assert_eq!(again.push_token, "push-g1");
    store.insert_token(&token(&app, Some(1), 1, "on-1")).await?;
    store.insert_token(&token(&app, Some(1), 2, "on-2")).await?;

    assert!(store.remove_device(&app.id, UserId(1), DeviceSn(1)).await?);
    assert!(!store.remove_device(&app.id, UserId(1), DeviceSn(1)).await?);
    assert_eq!(store.find_token(&TokenHash::of("on-1")).await?, None);
    assert!(store.find_token(&TokenHash::of("on-2")).await?.is_some());
    let left = store.list_devices(&app.id, UserId(1)).await?;
    assert_eq!(
        left.iter().map(|d| d.sn).collect::<Vec<_>>(),
        vec![DeviceSn(2)]
    );

    assert!(
        store
            .set_vendor_token(
                &app.id,
                UserId(1),
                DeviceSn(2),
                Some(("vt".into(), "apns".into()))
            )
            .await?
    );
    let listed = store.list_devices(&app.id, UserId(1)).await?;
    assert_eq!(listed[0].vendor_token, Some(("vt".into(), "apns".into())));
    assert!(
        !store
            .set_vendor_token(&app.id, UserId(1), DeviceSn(9), None)
            .await?
    );
    Ok(())
}
store_test!(devices_get_serial_numbers_and_removal_revokes_their_tokens);

async fn a_user_token_is_stored_only_for_the_account_as_verified(
    store: Store,
) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    let verified = PasswordHash("$2b$04$hash".into());
    let stale = PasswordHash("$2b$04$old".into());
    assert!(
        !store
            .insert_user_token(&token(&app, Some(1), 0, "a"), &stale)
            .await?
    );
    assert_eq!(store.find_token(&TokenHash::of("a")).await?, None);
    assert!(
        store
            .insert_user_token(&token(&app, Some(1), 0, "b"), &verified)
            .await?
    );
    store.set_banned(&app.id, &[UserId(1)], true).await?;
    assert!(
        !store
            .insert_user_token(&token(&app, Some(1), 0, "c"), &verified)
            .await?
    );
    store.set_banned(&app.id, &[UserId(1)], false).await?;
    store.delete_users(&app.id, &[UserId(1)]).await?;
    assert!(
        !store
            .insert_user_token(&token(&app, Some(1), 0, "d"), &verified)
            .await?
    );
    Ok(())
}
store_test!(a_user_token_is_stored_only_for_the_account_as_verified);

async fn admin_tokens_are_revoked_one_by_one(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_token(&token(&app, None, 0, "admin-2")).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store
        .insert_token(&token(&app, Some(1), 0, "user-token"))
        .await?;
    assert!(
        store
            .revoke_admin_token(&app.id, &TokenHash::of("admin-2"))
            .await?
    );
    assert!(
        !store
            .revoke_admin_token(&app.id, &TokenHash::of("admin-2"))
            .await?
    );
    assert!(
        !store
            .revoke_admin_token(&app.id, &TokenHash::of("user-token"))
            .await?
    );
    assert!(store.find_token(&TokenHash::of("admin")).await?.is_some());
    assert!(
        store
            .find_token(&TokenHash::of("user-token"))
            .await?
            .is_some()
    );
    Ok(())
}
store_test!(admin_tokens_are_revoked_one_by_one);

async fn a_user_is_inserted_with_its_first_device_and_push_tokens_are_unique(
    store: Store,
) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store
        .insert_user(&user(&app, 1, "ann"), 0, Some(&login("g1")))
        .await?;
    let devices = store.list_devices(&app.id, UserId(1)).await?;
    assert_eq!(devices.len(), 1);
    assert_eq!(
        (devices[0].sn, devices[0].push_token.as_str()),
        (DeviceSn(1), "push-g1")
    );
    let clash = store
        .insert_user(&user(&app, 2, "bob"), 0, Some(&login("g1")))
        .await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::PushToken))));
    assert_eq!(
        store.find_user(&app.id, UserId(2)).await?,
        None,
        "nothing half-written"
    );
    Ok(())
}
store_test!(a_user_is_inserted_with_its_first_device_and_push_tokens_are_unique);

async fn tokens_are_revoked_per_device_or_all(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    for (device, secret) in [(1, "a"), (1, "b"), (2, "c")] {
        store
            .insert_token(&token(&app, Some(1), device, secret))
            .await?;
    }
    let revoked = store
        .revoke_user_tokens(&app.id, UserId(1), Some(DeviceSn(1)))
        .await?;
    assert_eq!(revoked, 2);
    assert!(store.find_token(&TokenHash::of("c")).await?.is_some());
    assert_eq!(store.revoke_user_tokens(&app.id, UserId(1), None).await?, 1);
    Ok(())
}
store_test!(tokens_are_revoked_per_device_or_all);

async fn deleting_a_user_removes_everything_of_theirs(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store.login_device(&app.id, UserId(1), &login("g")).await?;
    store.insert_token(&token(&app, Some(1), 1, "t")).await?;
    store
        .add_push_tags(&app.id, UserId(1), &["x".into()])
        .await?;
    store
        .bind_open_id(&app.id, UserId(1), "wechat", "o1")
        .await?;
    store.delete_users(&app.id, &[UserId(1)]).await?;
    assert_eq!(store.find_user(&app.id, UserId(1)).await?, None);
    assert_eq!(store.find_token(&TokenHash::of("t")).await?, None);
    assert!(store.list_devices(&app.id, UserId(1)).await?.is_empty());
    assert!(store.push_tags(&app.id, UserId(1)).await?.is_empty());
    // The name and the open id are free again.
    assert!(store.insert_user(&user(&app, 2, "ann"), 0, None).await?);
    store
        .bind_open_id(&app.id, UserId(2), "wechat", "o1")
        .await?;
    Ok(())
}
store_test!(deleting_a_user_removes_everything_of_theirs);

async fn push_tags_alias_badge_and_open_ids(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
    store.insert_user(&user(&app, 2, "bob"), 0, None).await?;
    store
        .add_push_tags(&app.id, UserId(1), &["b".into(), "a".into()])
        .await?;
    store
        .add_push_tags(&app.id, UserId(1), &["a".into(), "c".into()])
        .await?;
    assert_eq!(store.push_tags(&app.id, UserId(1)).await?, ["a", "b", "c"]);
    store
        .remove_push_tags(&app.id, UserId(1), Some(vec!["b".into()]))
        .await?;
    assert_eq!(store.push_tags(&app.id, UserId(1)).await?, ["a", "c"]);
    store.remove_push_tags(&app.id, UserId(1), None).await?;
    assert!(store.push_tags(&app.id, UserId(1)).await?.is_empty());

    store.set_push_alias(&app.id, UserId(1), "al").await?;
    store.set_badge(&app.id, UserId(1), 7).await?;
    let ann = store.find_user(&app.id, UserId(1)).await?;
    let ann = ann.ok_or_else(|| anyhow::anyhow!("missing"))?;
    assert_eq!((ann.push_alias.as_deref(), ann.badge), (Some("al"), 7));

    store
        .bind_open_id(&app.id, UserId(1), "wechat", "o1")
        .await?;
    let clash = store.bind_open_id(&app.id, UserId(2), "wechat", "o1").await;
    assert!(matches!(clash, Err(RepoError::Conflict(Unique::OpenId))));
    store.bind_open_id(&app.id, UserId(2), "qq", "o1").await?;
    Ok(())
}
store_test!(push_tags_alias_badge_and_open_ids);

async fn users_are_listed_in_id_order_by_page(store: Store) -> anyhow::Result<()> {
    let app = setup(&store).await?;
    for id in [5, 3, 9, 1] {
        store
            .insert_user(&user(&app, id, &format!("u{id}")), 0, None)
            .await?;
    }
    let page = store.list_users(&app.id, 1, 2).await?;
    assert_eq!(page.iter().map(|u| u.id.0).collect::<Vec<_>>(), vec![3, 5]);
    assert!(store.list_users(&app.id, 4, 2).await?.is_empty());
    assert!(store.ping().await);
    Ok(())
}
store_test!(users_are_listed_in_id_order_by_page);

mod roster {
    use tidings_kernel::{Timestamp, UserId};
    use tidings_roster::model::{Application, ApplicationStatus};
    use tidings_roster::ports::{RosterRepository, UserDirectory};
    use tidings_store::{Store, store_test};
    use tidings_users::model::Mobile;
    use tidings_users::ports::UserRepository;

    use super::{app, setup, user};

    async fn three_users(store: &Store) -> anyhow::Result<tidings_users::model::App> {
        let app = setup(store).await?;
        for (id, name) in [(1, "ann"), (2, "bob"), (3, "cid")] {
            store.insert_user(&user(&app, id, name), 0, None).await?;
        }
        Ok(app)
    }

    fn application(id: i64, applicant: i64, target: i64) -> Application {
        Application {
            id,
            applicant: UserId(applicant),
            target: UserId(target),
            reason: format!("r{id}"),
            alias: "pal".into(),
            status: ApplicationStatus::Pending,
            expires_at: Timestamp(1_000),
            created_at: Timestamp(id),
        }
    }

    async fn friendships_are_two_way_and_accept_open_applications(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = three_users(&store).await?;
        let a = &app.id;
        store.save_application(a, &application(10, 1, 2)).await?;
        store
            .make_friends(
                a,
                UserId(1),
                UserId(2),
                Some("Bobby".into()),
                None,
                Timestamp(50),
            )
            .await?;
        let ab = store.entry(a, UserId(1), UserId(2)).await?;
        let ba = store.entry(a, UserId(2), UserId(1)).await?;
        let (ab, ba) = (
            ab.ok_or_else(|| anyhow::anyhow!("a→b"))?,
            ba.ok_or_else(|| anyhow::anyhow!("b→a"))?,
        );
        assert!(ab.active && ba.active);
        assert_eq!((ab.alias.as_str(), ba.alias.as_str()), ("Bobby", ""));
        let accepted = store.application(a, UserId(1), UserId(2)).await?;
        assert_eq!(
            accepted.map(|x| x.status),
            Some(ApplicationStatus::Accepted)
        );
        assert_eq!(store.roster_version(a, UserId(1)).await?, 50);

        // Ending it keeps both entries, inactive; becoming friends again keeps the alias.
        store
            .remove_friends(a, UserId(2), UserId(1), Timestamp(60))
            .await?;
        let ab = store.entry(a, UserId(1), UserId(2)).await?;
        assert_eq!(ab.as_ref().map(|e| e.active), Some(false));
        assert!(store.friend_ids(a, UserId(1), None, 10).await?.is_empty());
        store
            .make_friends(a, UserId(2), UserId(1), None, None, Timestamp(70))
            .await?;
        let ab = store.entry(a, UserId(1), UserId(2)).await?;
        assert_eq!(
            ab.map(|e| (e.active, e.alias)),
            Some((true, "Bobby".into()))
        );
        Ok(())
    }
    store_test!(friendships_are_two_way_and_accept_open_applications);

    async fn friend_ids_page_in_order(store: Store) -> anyhow::Result<()> {
        let app = three_users(&store).await?;
        let a = &app.id;
        for id in [7, 5, 9, 6] {
            store
                .insert_user(&user(&app, id, &format!("f{id}")), 0, None)
                .await?;
            store
                .make_friends(a, UserId(1), UserId(id), None, None, Timestamp(id))
                .await?;
        }
        let first = store.friend_ids(a, UserId(1), None, 3).await?;
        assert_eq!(first, vec![UserId(5), UserId(6), UserId(7)]);
        let rest = store.friend_ids(a, UserId(1), Some(UserId(7)), 3).await?;
        assert_eq!(rest, vec![UserId(9)]);
        let entries = store
            .entries(a, UserId(1), &[UserId(5), UserId(9), UserId(2)])
            .await?;
        assert_eq!(entries.len(), 2);
        let mut entry = entries[0].clone();
        entry.alias = "five".into();
        entry.ext = "{\"x\":1}".into();
        entry.mute_notification = true;
        store.update_entry(a, &entry).await?;
        assert_eq!(
            store.entry(a, entry.owner, entry.friend).await?,
            Some(entry)
        );
        Ok(())
    }
    store_test!(friend_ids_page_in_order);

    async fn applications_replace_per_pair_and_list_newest_first(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = three_users(&store).await?;
        let a = &app.id;
        store.save_application(a, &application(10, 2, 1)).await?;
        store.save_application(a, &application(11, 3, 1)).await?;
        store.save_application(a, &application(12, 2, 1)).await?;
        let listed = store.applications_to(a, UserId(1), None, 10).await?;
        assert_eq!(
            listed.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![12, 11]
        );
        let older = store.applications_to(a, UserId(1), Some(12), 10).await?;
        assert_eq!(older.iter().map(|x| x.id).collect::<Vec<_>>(), vec![11]);
        store
            .set_application_status(a, UserId(3), UserId(1), ApplicationStatus::Declined)
            .await?;
        let declined = store.application(a, UserId(3), UserId(1)).await?;
        assert_eq!(
            declined.map(|x| x.status),
            Some(ApplicationStatus::Declined)
        );
        assert!(store.application(a, UserId(1), UserId(3)).await?.is_none());
        Ok(())
    }
    store_test!(applications_replace_per_pair_and_list_newest_first);

    async fn blocks_are_idempotent_and_one_way(store: Store) -> anyhow::Result<()> {
        let app = three_users(&store).await?;
        let a = &app.id;
        store.block(a, UserId(1), UserId(3), Timestamp(1)).await?;
        store.block(a, UserId(1), UserId(3), Timestamp(2)).await?;
        store.block(a, UserId(1), UserId(2), Timestamp(3)).await?;
        assert_eq!(
            store.blocked(a, UserId(1)).await?,
            vec![UserId(2), UserId(3)]
        );
        assert!(store.is_blocked(a, UserId(1), UserId(3)).await?);
        assert!(!store.is_blocked(a, UserId(3), UserId(1)).await?);
        store.unblock(a, UserId(1), UserId(3)).await?;
        store.unblock(a, UserId(1), UserId(3)).await?;
        assert_eq!(store.blocked(a, UserId(1)).await?, vec![UserId(2)]);
        Ok(())
    }
    store_test!(blocks_are_idempotent_and_one_way);

    async fn deleting_a_user_removes_their_roster_rows(store: Store) -> anyhow::Result<()> {
        let app = three_users(&store).await?;
        let a = &app.id;
        store
            .make_friends(a, UserId(1), UserId(2), None, None, Timestamp(1))
            .await?;
        store.save_application(a, &application(10, 3, 2)).await?;
        store.block(a, UserId(1), UserId(2), Timestamp(1)).await?;
        UserRepository::delete_users(&store, a, &[UserId(2)]).await?;
        assert!(store.entry(a, UserId(1), UserId(2)).await?.is_none());
        assert!(store.application(a, UserId(3), UserId(2)).await?.is_none());
        assert!(store.blocked(a, UserId(1)).await?.is_empty());
        Ok(())
    }
    store_test!(deleting_a_user_removes_their_roster_rows);

    async fn the_directory_finds_users_of_the_app_only(store: Store) -> anyhow::Result<()> {
        let app = setup(&store).await?;
        let other = app_in(&store, "other").await?;
        let mut ann = user(&app, 1, "ann");
        ann.profile.mobile = Some(Mobile::parse("15550001")?);
        ann.profile.nick_name = "Ann".into();
        ann.settings.auth_question = "q?".into();
        store.insert_user(&ann, 0, None).await?;
        store.insert_user(&user(&other, 2, "bob"), 0, None).await?;
        let card = store.user(&app.id, UserId(1)).await?;
        let card = card.ok_or_else(|| anyhow::anyhow!("ann"))?;
        assert_eq!(
            (card.username.as_str(), card.nick_name.as_str()),
            ("ann", "Ann")
        );
        assert_eq!(card.auth_question, "q?");
        assert!(store.user_by_name(&app.id, "ann").await?.is_some());
        assert!(store.user_by_mobile(&app.id, "15550001").await?.is_some());
        assert!(store.user(&app.id, UserId(2)).await?.is_none());
        assert!(store.user_by_name(&app.id, "bob").await?.is_none());
        let many = store.users(&app.id, &[UserId(2), UserId(1)]).await?;
        assert_eq!(
            many.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![UserId(1)]
        );
        Ok(())
    }
    store_test!(the_directory_finds_users_of_the_app_only);

    async fn app_in(store: &Store, id: &str) -> anyhow::Result<tidings_users::model::App> {
        let other = app(id)?;
        tidings_users::ports::AppRepository::create_app(
            store,
            &other,
            &super::token(&other, None, 0, "admin-other"),
        )
        .await?;
        Ok(other)
    }
}

mod groups {
    use tidings_groups::model::{
        Announcement, Group, GroupChange, GroupSettings, GroupType, Invitation, JoinLimits,
        JoinOutcome, JoinRequest, Member, RequestStatus, Resolution, Role, SharedFile,
    };
    use tidings_groups::ports::{GroupRepository, GroupUsers};
    use tidings_kernel::{GroupId, Timestamp, UserId};
    use tidings_store::{Store, store_test};
    use tidings_users::ports::UserRepository;

    use super::{setup, user};

    const G: GroupId = GroupId(900);

    fn group(id: GroupId, owner: i64) -> Group {
        Group {
            id,
            name: "g".into(),
            description: "d".into(),
            avatar: String::new(),
            ext: String::new(),
            kind: GroupType::Private,
            owner: UserId(owner),
            settings: GroupSettings::default(),
            destroyed: false,
            capacity: 3,
            qr_key: "k".into(),
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
        }
    }

    fn member(group: GroupId, user: i64, role: Role) -> Member {
        Member::new(group, UserId(user), role, Timestamp(2))
    }

    async fn with_users(store: &Store) -> anyhow::Result<tidings_users::model::App> {
        let app = setup(store).await?;
        for id in 1..=5 {
            store
                .insert_user(&user(&app, id, &format!("u{id}")), 0, None)
                .await?;
        }
        Ok(app)
    }

    async fn groups_keep_members_within_capacity(store: Store) -> anyhow::Result<()> {
        let app = with_users(&store).await?;
        let a = &app.id;
        store
            .create_group(
                a,
                &group(G, 1),
                &[member(G, 1, Role::Owner), member(G, 2, Role::Member)],
            )
            .await?;
        let stored = store.group(a, G).await?;
        assert_eq!(stored, Some(group(G, 1)));
        let limits = JoinLimits {
            capacity: 3,
            kick_limit: 3,
            max_joined: 10,
        };
        let joined = store.join(a, &member(G, 3, Role::Member), &limits).await?;
        assert_eq!(joined, JoinOutcome::Joined);
        let again = store.join(a, &member(G, 3, Role::Member), &limits).await?;
        assert_eq!(again, JoinOutcome::AlreadyMember);
        let full = store.join(a, &member(G, 4, Role::Member), &limits).await?;
        assert_eq!(full, JoinOutcome::Full);
        let strict = JoinLimits {
            max_joined: 0,
            ..limits
        };
        let over = store.join(a, &member(G, 4, Role::Member), &strict).await?;
        assert_eq!(over, JoinOutcome::TooManyJoined);
        let (page, total) = store.member_page(a, G, None, 2).await?;
        assert_eq!(total, 3);
        assert_eq!(store.member_count(a, G).await?, 3);
        assert_eq!(
            page.iter().map(|m| m.user.0).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let (rest, _) = store.member_page(a, G, Some(UserId(2)), 2).await?;
        assert_eq!(rest.iter().map(|m| m.user.0).collect::<Vec<_>>(), vec![3]);
        assert_eq!(store.joined_groups(a, UserId(2)).await?, vec![G]);
        assert_eq!(store.owned_count(a, UserId(1)).await?, 1);
        assert!(store.destroy_group(a, G, Timestamp(3)).await?);
        assert!(!store.destroy_group(a, G, Timestamp(4)).await?);
        assert!(
            !store
                .change_group(a, G, &GroupChange::Name("back".into()), Timestamp(5))
                .await?,
            "a destroyed group takes no changes"
        );
        assert!(store.joined_groups(a, UserId(2)).await?.is_empty());
        assert_eq!(store.owned_count(a, UserId(1)).await?, 0);
        Ok(())
    }
    store_test!(groups_keep_members_within_capacity);

    async fn kicks_are_counted_and_ownership_moves(store: Store) -> anyhow::Result<()> {
        let app = with_users(&store).await?;
        let a = &app.id;
        let all = [
            member(G, 1, Role::Owner),
            member(G, 2, Role::Admin),
            member(G, 3, Role::Member),
        ];
        store.create_group(a, &group(G, 1), &all).await?;
        for _ in 0..2 {
            store.remove_members(a, G, &[UserId(3)], true).await?;
            store
                .join(
                    a,
                    &member(G, 3, Role::Member),
                    &JoinLimits {
                        capacity: 10,
                        kick_limit: 3,
                        max_joined: 10,
                    },
                )
                .await?;
        }
        assert_eq!(store.kick_count(a, G, UserId(3)).await?, 2);
        store.remove_members(a, G, &[UserId(3)], false).await?;
        assert_eq!(store.kick_count(a, G, UserId(3)).await?, 2);
        assert_eq!(
            store
                .admins(a, G)
                .await?
                .iter()
                .map(|m| m.user.0)
                .collect::<Vec<_>>(),
            vec![2]
        );
        assert!(
            !store
                .transfer_owner(a, G, UserId(1), UserId(5), Timestamp(9))
                .await?,
            "the new owner must be a member"
        );
        assert!(
            store
                .transfer_owner(a, G, UserId(1), UserId(2), Timestamp(9))
                .await?
        );
        assert_eq!(store.group(a, G).await?.map(|g| g.owner), Some(UserId(2)));
        let roles: Vec<Role> = store
            .members_of(a, G, &[UserId(1), UserId(2)])
            .await?
            .iter()
            .map(|m| m.role)
            .collect();
        assert_eq!(roles, vec![Role::Member, Role::Owner]);
        assert!(store.set_muted(a, G, UserId(1), Role::Member, 100).await?);
        assert!(
            !store.set_muted(a, G, UserId(2), Role::Member, 100).await?,
            "bob is owner now"
        );
        let (page, total) = store.muted_page(a, G, Timestamp(50), None, 10).await?;
        assert_eq!((page.len(), total), (1, 1));
        assert_eq!(store.muted_page(a, G, Timestamp(100), None, 10).await?.1, 0);
        Ok(())
    }
    store_test!(kicks_are_counted_and_ownership_moves);

    async fn blocks_remove_members_and_page(store: Store) -> anyhow::Result<()> {
        let app = with_users(&store).await?;
        let a = &app.id;
        store
            .create_group(
                a,
                &group(G, 1),
                &[member(G, 1, Role::Owner), member(G, 2, Role::Member)],
            )
            .await?;
        store
            .block_users(a, G, &[UserId(2), UserId(4)], Timestamp(5))
            .await?;
        store.block_users(a, G, &[UserId(4)], Timestamp(6)).await?;
        assert!(store.member(a, G, UserId(2)).await?.is_none());
        assert!(store.is_blocked(a, G, UserId(4)).await?);
        let (page, total) = store.blocked_page(a, G, None, 1).await?;
        assert_eq!((page[0].user, total), (UserId(2), 2));
        store.unblock_users(a, G, &[UserId(2)]).await?;
        assert!(!store.is_blocked(a, G, UserId(2)).await?);
        let confirm = store.invitees(a, &[UserId(1), UserId(77)]).await?;
        assert_eq!(confirm, vec![(UserId(1), false)]);
        Ok(())
    }
    store_test!(blocks_remove_members_and_page);

    async fn invitations_and_requests_replace_per_pair(store: Store) -> anyhow::Result<()> {
        let app = with_users(&store).await?;
        let a = &app.id;
        let other = GroupId(901);
        store
            .create_group(a, &group(G, 1), &[member(G, 1, Role::Owner)])
            .await?;
        store
            .create_group(a, &group(other, 1), &[member(other, 1, Role::Owner)])
            .await?;
        let invitation = |id: i64, group: GroupId| Invitation {
            id,
            group,
            inviter: UserId(1),
            invitee: UserId(3),
            reason: format!("r{id}"),
            status: RequestStatus::Pending,
            expires_at: Timestamp(1_000),
            updated_at: Timestamp(id),
        };
        store.save_invitation(a, &invitation(10, G)).await?;
        store.save_invitation(a, &invitation(11, other)).await?;
        // Inviting again replaces the invitation but keeps its id: paging stays stable.
        store.save_invitation(a, &invitation(12, G)).await?;
        let (page, total) = store.invitations_to(a, UserId(3), None, 10).await?;
        assert_eq!(total, 2);
        assert_eq!(page.iter().map(|i| i.id).collect::<Vec<_>>(), vec![11, 10]);
        let limits = JoinLimits {
            capacity: 10,
            kick_limit: 3,
            max_joined: 10,
        };
        let joining = member(G, 3, Role::Member);
        let resolved = store
            .resolve_invitation(a, G, UserId(3), Some((&joining, &limits)), Timestamp(20))
            .await?;
        assert_eq!(resolved, Resolution::Joined);
        let stored = store.invitation(a, G, UserId(3)).await?;
        assert_eq!(stored.map(|i| i.status), Some(RequestStatus::Accepted));
        assert!(store.member(a, G, UserId(3)).await?.is_some());
        let again = store
            .resolve_invitation(a, G, UserId(3), None, Timestamp(21))
            .await?;
        assert_eq!(again, Resolution::Missing);

        let request = |id: i64, group: GroupId, applicant: i64| JoinRequest {
            id,
            group,
            applicant: UserId(applicant),
            reason: String::new(),
            status: RequestStatus::Pending,
            expires_at: Timestamp(1_000),
        };
        store.save_join_request(a, &request(20, G, 4)).await?;
        store.save_join_request(a, &request(21, other, 4)).await?;
        store.save_join_request(a, &request(22, G, 5)).await?;
        let (page, total) = store.join_requests(a, &[G], None, 10).await?;
        assert_eq!(
            (page.iter().map(|r| r.id).collect::<Vec<_>>(), total),
            (vec![22, 20], 2)
        );
        let (both, _) = store.join_requests(a, &[G, other], Some(22), 10).await?;
        assert_eq!(both.iter().map(|r| r.id).collect::<Vec<_>>(), vec![21, 20]);
        // A refused join (the applicant is blacklisted meanwhile) leaves the request open.
        store.block_users(a, G, &[UserId(5)], Timestamp(30)).await?;
        let joining = member(G, 5, Role::Member);
        let refused = store
            .resolve_join_request(a, G, UserId(5), Some((&joining, &limits)), Timestamp(31))
            .await?;
        assert_eq!(refused, Resolution::Refused(JoinOutcome::Blacklisted));
        let still = store.join_request(a, G, UserId(5)).await?;
        assert_eq!(still.map(|r| r.status), Some(RequestStatus::Pending));
        let declined = store
            .resolve_join_request(a, G, UserId(4), None, Timestamp(32))
            .await?;
        assert_eq!(declined, Resolution::Declined);
        let stored = store.join_request(a, G, UserId(4)).await?;
        assert_eq!(stored.map(|r| r.status), Some(RequestStatus::Declined));
        // Expired requests cannot be resolved.
        let late = store
            .resolve_join_request(a, other, UserId(4), None, Timestamp(1_000))
            .await?;
        assert_eq!(late, Resolution::Missing);
        Ok(())
    }
    store_test!(invitations_and_requests_replace_per_pair);

    async fn announcements_and_files(store: Store) -> anyhow::Result<()> {
        let app = with_users(&store).await?;
        let a = &app.id;
        store
            .create_group(a, &group(G, 1), &[member(G, 1, Role::Owner)])
            .await?;
        for id in [30, 31] {
            store
                .save_announcement(
                    a,
                    &Announcement {
                        id,
                        group: G,
                        author: UserId(1),
                        title: format!("t{id}"),
                        content: "c".into(),
                        created_at: Timestamp(id),
                    },
                )
                .await?;
        }
        let list = store.announcements(a, G).await?;
        assert_eq!(list.iter().map(|x| x.id).collect::<Vec<_>>(), vec![31, 30]);
        assert!(store.delete_announcement(a, G, 30).await?);
        assert!(!store.delete_announcement(a, G, 30).await?);
        assert!(store.announcement(a, G, 30).await?.is_none());
        let mut file = SharedFile {
            id: 40,
            group: G,
            uploader: UserId(1),
            name: "a.txt".into(),
            size: 3,
            kind: "text".into(),
            url: "https://f/a".into(),
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
        };
        store.save_file(a, &file).await?;
        file.name = "b.txt".into();
        file.updated_at = Timestamp(2);
        store.rename_file(a, &file).await?;
        assert_eq!(store.file(a, G, 40).await?, Some(file.clone()));
        assert_eq!(store.files(a, G).await?, vec![file]);
        store.delete_file(a, G, 40).await?;
        assert!(store.files(a, G).await?.is_empty());
        // Deleting a member's user removes the membership.
        store
            .join(
                a,
                &member(G, 2, Role::Member),
                &JoinLimits {
                    capacity: 10,
                    kick_limit: 3,
                    max_joined: 10,
                },
            )
            .await?;
        UserRepository::delete_users(&store, a, &[UserId(2)]).await?;
        assert!(store.member(a, G, UserId(2)).await?.is_none());
        Ok(())
    }
    store_test!(announcements_and_files);
}

mod messages {
    use std::sync::Arc;

    use tidings_kernel::AppId;
    use tidings_kernel::jobs::{HandOff, JobHandler, JobQueue, JobRunner, RetryPolicy};
    use tidings_kernel::{GroupId, Timestamp, UserId};
    use tidings_messaging::model::{ContentType, Message, Recipient, Target};
    use tidings_messaging::ports::{Append, Appended, Audience, DirectQuery, MessageStore};
    use tidings_push::model::{Credential, Notifier, Provider, SecretText};
    use tidings_push::offline::MessagePush;
    use tidings_push::ports::CredentialRepository;
    use tidings_store::{Store, store_test};
    use tidings_users::ports::UserRepository;

    use super::{setup, user};

    const ANN: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    fn message(id: i64, from: UserId, to: UserId, content_type: ContentType) -> Message {
        Message {
            id,
            from,
            to: Target::User(to),
            content_type,
            content: format!("m{id}"),
            attachment: "{}".into(),
            config: String::new(),
            ext: String::new(),
            related: 0,
            system: false,
            recalled: false,
            created_at: Timestamp(id),
        }
    }

    fn one_to_one(m: Message) -> (Message, Vec<Recipient>) {
        let (Target::User(to), from) = (m.to, m.from) else {
            unreachable!()
        };
        let recipients = vec![
            Recipient {
                user: to,
                conversation: from.0,
                is_sender: false,
            },
            Recipient {
                user: from,
                conversation: to.0,
                is_sender: true,
            },
        ];
        (m, recipients)
    }

    async fn users(store: &Store) -> anyhow::Result<tidings_users::model::App> {
        let app = setup(store).await?;
        store.insert_user(&user(&app, 1, "ann"), 0, None).await?;
        store.insert_user(&user(&app, 2, "bob"), 0, None).await?;
        Ok(app)
    }

    async fn send(
        store: &Store,
        app: &tidings_kernel::AppId,
        m: Message,
    ) -> anyhow::Result<Vec<i64>> {
        match store.append(app, &[one_to_one(m)], None).await? {
            Appended::Stored(d) => Ok(d.iter().map(|d| d.position).collect()),
            Appended::Duplicate(_) => anyhow::bail!("unexpected duplicate"),
        }
    }

    async fn positions_are_per_user_in_order_and_unread_is_exact(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let a = &app.id;
        assert_eq!(
            send(&store, a, message(10, ANN, BOB, ContentType::Text)).await?,
            vec![1, 1]
        );
        assert_eq!(
            send(&store, a, message(11, ANN, BOB, ContentType::Text)).await?,
            vec![2, 2]
        );
        assert_eq!(store.unread(a, BOB).await?, vec![(ANN.0, 2)]);
        assert!(
            store.unread(a, ANN).await?.is_empty(),
            "own messages land read"
        );
        // Reading up to the first message leaves one unread.
        let (position, conversation) = store.copy(a, BOB, 10).await?.unwrap_or_default();
        store.mark_read(a, BOB, conversation, position).await?;
        assert_eq!(store.unread(a, BOB).await?, vec![(ANN.0, 1)]);
        store.mark_read(a, BOB, conversation, position - 1).await?;
        assert_eq!(
            store.read_position(a, BOB, ANN.0).await?,
            position,
            "never backwards"
        );
        // Replying marks the conversation read up to the reply.
        assert_eq!(
            send(&store, a, message(12, BOB, ANN, ContentType::Text)).await?,
            vec![3, 3]
        );
        assert!(store.unread(a, BOB).await?.is_empty());
        assert_eq!(store.unread(a, ANN).await?, vec![(BOB.0, 1)]);
        // Operations neither count as unread nor mark anything read.
        send(&store, a, message(13, ANN, BOB, ContentType::Recall)).await?;
        assert_eq!(store.unread(a, ANN).await?, vec![(BOB.0, 1)]);
        assert!(store.unread(a, BOB).await?.is_empty());

        let history = store.history(a, BOB, ANN.0, None, 2).await?;
        assert_eq!(
            history.iter().map(|(m, _)| m.id).collect::<Vec<_>>(),
            vec![13, 12]
        );
        let older = store.history(a, BOB, ANN.0, Some(12), 10).await?;
        assert_eq!(
            older.iter().map(|(m, _)| m.id).collect::<Vec<_>>(),
            vec![11, 10]
        );
        let missed = store.since(a, BOB, 2, 10).await?;
        assert_eq!(
            missed
                .iter()
                .map(|(m, p, _)| (m.id, *p))
                .collect::<Vec<_>>(),
            vec![(12, 3), (13, 4)]
        );

        store.delete_conversation(a, BOB, ANN.0).await?;
        assert!(store.history(a, BOB, ANN.0, None, 10).await?.is_empty());
        assert_eq!(
            store.history(a, ANN, BOB.0, None, 10).await?.len(),
            4,
            "the other side keeps it"
        );
        Ok(())
    }
    store_test!(positions_are_per_user_in_order_and_unread_is_exact);

    async fn concurrent_sends_never_skip_or_repeat_a_position(store: Store) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let sends = (0..40).map(|i| {
            let store = store.clone();
            let app = app.id.clone();
            let from = if i % 2 == 0 { ANN } else { BOB };
            let to = if i % 2 == 0 { BOB } else { ANN };
            tokio::spawn(async move {
                store
                    .append(
                        &app,
                        &[one_to_one(message(100 + i, from, to, ContentType::Text))],
                        None,
                    )
                    .await
            })
        });
        for task in sends.collect::<Vec<_>>() {
            task.await??;
        }
        for who in [ANN, BOB] {
            let all = store.since(&app.id, who, 0, 1000).await?;
            let positions: Vec<i64> = all.iter().map(|(_, p, _)| *p).collect();
            assert_eq!(positions, (1..=40).collect::<Vec<_>>(), "{who:?}");
        }
        Ok(())
    }
    store_test!(concurrent_sends_never_skip_or_repeat_a_position);

    /// Who got which position of which message.
    fn positions(appended: &Appended) -> Vec<(i64, i64, i64)> {
        match appended {
            Appended::Stored(d) => d
                .iter()
                .map(|d| (d.message, d.user.0, d.position))
                .collect(),
            Appended::Duplicate(_) => Vec::new(),
        }
    }

    async fn a_batch_of_sends_shares_one_transaction_and_each_gets_its_outcome(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let a = &app.id;
        const CARL: UserId = UserId(3);
        store.insert_user(&user(&app, 3, "carl"), 0, None).await?;
        let other = super::app_named(&store, "app2").await?;
        store.insert_user(&user(&other, 5, "eve"), 0, None).await?;
        store.insert_user(&user(&other, 6, "fay"), 0, None).await?;
        send(&store, a, message(10, ANN, BOB, ContentType::Text)).await?;

        let append = |app: &AppId, sends: Vec<Message>, dedup: Option<i64>| Append {
            app: app.clone(),
            sends: sends.into_iter().map(one_to_one).collect(),
            dedup: dedup.map(|id| (id, Timestamp(0))),
        };
        let to_carl = {
            let mut m = message(24, ANN, CARL, ContentType::Text);
            m.to = Target::User(CARL);
            m
        };
        let batch = [
            append(a, vec![message(20, ANN, BOB, ContentType::Text)], Some(7)),
            append(
                &other.id,
                vec![message(30, UserId(5), UserId(6), ContentType::Text)],
                None,
            ),
            append(a, vec![message(21, BOB, ANN, ContentType::Text)], None),
            // A repeat of the first send's transaction id, in the same batch.
            append(a, vec![message(22, ANN, BOB, ContentType::Text)], Some(7)),
            append(
                a,
                vec![message(23, ANN, BOB, ContentType::Text), to_carl],
                None,
            ),
        ];
        let outcomes = store.append_batch(&batch).await?;
        assert_eq!(outcomes.len(), 5);
        assert_eq!(positions(&outcomes[0]), vec![(20, 2, 2), (20, 1, 2)]);
        assert_eq!(positions(&outcomes[1]), vec![(30, 6, 1), (30, 5, 1)]);
        assert_eq!(positions(&outcomes[2]), vec![(21, 1, 3), (21, 2, 3)]);
        assert_eq!(outcomes[3], Appended::Duplicate(vec![20]));
        assert_eq!(
            positions(&outcomes[4]),
            vec![(23, 2, 4), (23, 1, 4), (24, 3, 1), (24, 1, 5)]
        );
        assert!(
            store.message(a, 22).await?.is_none(),
            "a repeat stores nothing"
        );
        // The app's users only: the other app's message is not this app's.
        assert!(store.message(a, 30).await?.is_none());
        assert!(store.message(&other.id, 30).await?.is_some());
        let missed = store.since(a, BOB, 1, 10).await?;
        assert_eq!(
            missed
                .iter()
                .map(|(m, p, _)| (m.id, *p))
                .collect::<Vec<_>>(),
            vec![(20, 2), (21, 3), (23, 4)]
        );
        // The sender's copies mark their conversations read, up to the newest.
        assert_eq!(store.read_position(a, ANN, BOB.0).await?, 4);
        assert_eq!(store.read_position(a, ANN, CARL.0).await?, 5);
        assert_eq!(store.read_position(a, BOB, ANN.0).await?, 3);
        assert_eq!(store.unread(a, BOB).await?, vec![(ANN.0, 1)]);
        assert_eq!(store.last_position(a, ANN).await?, 5);
        Ok(())
    }
    store_test!(a_batch_of_sends_shares_one_transaction_and_each_gets_its_outcome);

    /// Records the messages a runner hands it.
    #[derive(Default)]
    struct Notified(std::sync::Mutex<Vec<MessagePush>>);

    #[async_trait::async_trait]
    impl JobHandler<MessagePush> for Notified {
        async fn handle(&self, job: &MessagePush) -> Result<(), String> {
            self.0.lock().map_err(|e| e.to_string())?.push(job.clone());
            Ok(())
        }
    }

    struct At(Timestamp);

    impl tidings_kernel::Clock for At {
        fn now(&self) -> Timestamp {
            self.0
        }
    }

    async fn due_messages(store: &Store, now: i64) -> anyhow::Result<Vec<i64>> {
        let due = JobQueue::<MessagePush>::lease_due(store, Timestamp(now), Timestamp(now + 1), 10)
            .await?;
        Ok(due.iter().map(|d| d.job.message).collect())
    }

    /// The messages of an app with push credentials are queued for notification (not read
    /// acks): with a hand-off, leased to this node and handed over once stored (while it has
    /// room), else due at once.
    async fn messages_to_notify_are_handed_over_or_queued_due(store: Store) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let a = &app.id;
        let apns = Notifier {
            provider: Provider::Apns,
            name: "apns".into(),
            app_id: "com.example".into(),
            app_key: "KEY".into(),
        };
        let credential = Credential {
            notifier: apns,
            settings: "{}".into(),
            secret: SecretText("secret".into()),
        };
        store.put_credential(a, &credential).await?;
        let policy = RetryPolicy::default();
        let handoff = Arc::new(HandOff::new(&policy, 1));
        let handing = store.clone().handing_off_message_pushes(handoff.clone());
        send(&handing, a, message(30, ANN, BOB, ContentType::Text)).await?;
        send(&handing, a, message(31, ANN, BOB, ContentType::ReadAck)).await?;
        // The hand-off is full: due at once.
        send(&handing, a, message(32, ANN, BOB, ContentType::Text)).await?;
        // Without one: due at once.
        send(&store, a, message(33, ANN, BOB, ContentType::Text)).await?;
        assert_eq!(due_messages(&store, 100).await?, vec![32, 33]);

        let notified = Arc::new(Notified::default());
        let runner = JobRunner::new(
            Arc::new(store.clone()),
            notified.clone(),
            Arc::new(At(Timestamp(1_000))),
            policy,
        );
        assert_eq!(runner.run_handed(&handoff).await?, 1);
        let seen = notified
            .0
            .lock()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .clone();
        assert_eq!(
            seen,
            vec![MessagePush {
                app: a.clone(),
                message: 30
            }]
        );
        // Its lease (60 s from its creation) has ended, but it is done: only the others,
        // whose short leases ended too, are due.
        assert_eq!(due_messages(&store, 70_000).await?, vec![32, 33]);
        Ok(())
    }
    store_test!(messages_to_notify_are_handed_over_or_queued_due);

    async fn dedup_recall_edit_and_the_audience(store: Store) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let a = &app.id;
        let first = store
            .append(
                a,
                &[one_to_one(message(20, ANN, BOB, ContentType::Text))],
                Some((7, Timestamp(0))),
            )
            .await?;
        assert!(matches!(first, Appended::Stored(_)));
        let repeat = store
            .append(
                a,
                &[one_to_one(message(21, ANN, BOB, ContentType::Text))],
                Some((7, Timestamp(0))),
            )
            .await?;
        assert_eq!(repeat, Appended::Duplicate(vec![20]));
        assert!(store.message(a, 21).await?.is_none());
        // Outside the window the same transaction id sends again.
        let later = store
            .append(
                a,
                &[one_to_one(message(22, ANN, BOB, ContentType::Text))],
                Some((7, Timestamp(21))),
            )
            .await?;
        assert!(matches!(later, Appended::Stored(_)));

        assert!(store.edit(a, 20, "edited").await?);
        assert!(store.recall(a, 20).await?);
        assert!(!store.recall(a, 20).await?);
        assert!(!store.edit(a, 20, "again").await?);
        let recalled = store
            .message(a, 20)
            .await?
            .ok_or_else(|| anyhow::anyhow!("gone"))?;
        assert!(recalled.recalled && recalled.content.is_empty() && recalled.attachment.is_empty());

        assert_eq!(store.user(a, ANN).await?, Some(false));
        assert_eq!(store.user(a, UserId(99)).await?, None);
        assert!(!store.blocked(a, BOB, ANN).await?);
        let direct = store.direct(a, ANN, &[BOB, UserId(99)]).await?;
        assert_eq!(direct.sender, Some(false));
        assert_eq!(direct.targets, [(BOB, false)].into());
        tidings_roster::ports::RosterRepository::block(&store, a, BOB, ANN, Timestamp(1)).await?;
        assert!(store.blocked(a, BOB, ANN).await?);
        let direct = store.direct(a, ANN, &[BOB]).await?;
        assert_eq!(direct.targets, [(BOB, true)].into(), "bob blocked ann");
        let direct = store.direct(a, UserId(98), &[BOB]).await?;
        assert_eq!(direct.sender, None);
        assert_eq!(
            direct.targets,
            [(BOB, false)].into(),
            "bob did not block 98"
        );
        // Several sends' lookups in one query, each answered as alone.
        let query = |sender: UserId, targets: Vec<UserId>| DirectQuery {
            app: a.clone(),
            sender,
            targets,
        };
        let answers = store
            .direct_batch(&[
                query(ANN, vec![BOB]),
                query(BOB, vec![ANN, UserId(99)]),
                query(UserId(98), vec![BOB]),
            ])
            .await?;
        let targets: Vec<_> = answers.iter().map(|d| d.targets.clone()).collect();
        assert_eq!(
            targets,
            vec![
                [(BOB, true)].into(),
                [(ANN, false)].into(),
                [(BOB, false)].into()
            ]
        );
        assert_eq!(
            answers.iter().map(|d| d.sender).collect::<Vec<_>>(),
            vec![Some(false), Some(false), None]
        );
        assert_eq!(store.group(a, GroupId(5), ANN).await?, None);
        // Deleting a user removes their inbox and positions.
        UserRepository::delete_users(&store, a, &[BOB]).await?;
        assert!(store.since(a, BOB, 0, 10).await?.is_empty());
        Ok(())
    }
    store_test!(dedup_recall_edit_and_the_audience);

    async fn webhooks_are_queued_with_the_message_leased_retried_and_settled(
        store: Store,
    ) -> anyhow::Result<()> {
        use tidings_kernel::jobs::JobQueue;
        use tidings_messaging::webhooks::WebhookJob;
        use tidings_messaging::webhooks::{Callback, WebhookOutbox};
        let app = users(&store).await?;
        let a = &app.id;
        send(&store, a, message(10, ANN, BOB, ContentType::Text)).await?;
        assert!(
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(100), Timestamp(200), 10)
                .await?
                .is_empty(),
            "nothing is queued without a callback"
        );
        let callback = Callback {
            url: "http://hook/x".into(),
            secret: "s3cret".into(),
        };
        store.set_callback(a, Some(callback.clone())).await?;
        assert_eq!(store.callback(a).await?, Some(callback.clone()));
        send(&store, a, message(11, ANN, BOB, ContentType::Text)).await?;
        send(&store, a, message(12, ANN, BOB, ContentType::ReadAck)).await?;
        send(&store, a, message(13, ANN, BOB, ContentType::Recall)).await?;
        let jobs =
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(100), Timestamp(200), 10).await?;
        let ids: Vec<i64> = jobs.iter().map(|j| j.job.message.id).collect();
        assert_eq!(ids, vec![11, 13], "read receipts are not sent");
        assert_eq!(
            (jobs[0].job.callback.clone(), jobs[0].attempts, jobs[0].id),
            (callback.clone(), 0, 11)
        );
        assert_eq!(jobs[0].job.message.content, "m11");
        assert!(
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(150), Timestamp(250), 10)
                .await?
                .is_empty(),
            "leased jobs are not taken twice"
        );
        JobQueue::<WebhookJob>::done(&store, &[11]).await?;
        JobQueue::<WebhookJob>::failed(&store, 13, 1, Some(Timestamp(300)), "HTTP 500").await?;
        assert!(
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(299), Timestamp(400), 10)
                .await?
                .is_empty()
        );
        let retry =
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(300), Timestamp(400), 10).await?;
        assert_eq!(
            retry
                .iter()
                .map(|j| (j.job.message.id, j.attempts))
                .collect::<Vec<_>>(),
            vec![(13, 1)]
        );
        JobQueue::<WebhookJob>::failed(&store, 13, 2, None, "HTTP 500").await?;
        assert!(
            JobQueue::<WebhookJob>::lease_due(&store, Timestamp(i64::MAX), Timestamp(i64::MAX), 10)
                .await?
                .is_empty(),
            "a failed job is never retried"
        );
        send(&store, a, message(14, ANN, BOB, ContentType::Text)).await?;
        store.set_callback(a, None).await?;
        assert_eq!(store.callback(a).await?, None);
        store.set_callback(a, Some(callback)).await?;
        assert!(
            JobQueue::<WebhookJob>::lease_due(
                &store,
                Timestamp(i64::MAX - 1),
                Timestamp(i64::MAX),
                10
            )
            .await?
            .is_empty(),
            "removing the callback drops its pending jobs"
        );
        Ok(())
    }
    store_test!(webhooks_are_queued_with_the_message_leased_retried_and_settled);

    async fn concurrent_runners_lease_disjoint_webhook_jobs(store: Store) -> anyhow::Result<()> {
        use tidings_kernel::jobs::JobQueue;
        use tidings_messaging::webhooks::WebhookJob;
        use tidings_messaging::webhooks::{Callback, WebhookOutbox};
        let app = users(&store).await?;
        let a = &app.id;
        let callback = Callback {
            url: "http://hook/x".into(),
            secret: "s3cret".into(),
        };
        store.set_callback(a, Some(callback)).await?;
        for id in 100..120 {
            send(&store, a, message(id, ANN, BOB, ContentType::Text)).await?;
        }
        let (one, two) = (store.clone(), store.clone());
        let first = tokio::spawn(async move {
            JobQueue::<WebhookJob>::lease_due(&one, Timestamp(1_000), Timestamp(2_000), 12).await
        });
        let second = tokio::spawn(async move {
            JobQueue::<WebhookJob>::lease_due(&two, Timestamp(1_000), Timestamp(2_000), 12).await
        });
        let mut ids: Vec<i64> = first
            .await??
            .into_iter()
            .chain(second.await??)
            .map(|j| j.id)
            .collect();
        let taken = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), taken, "a job was leased twice");
        assert_eq!(
            taken, 20,
            "every due job is taken by one runner or the other"
        );
        Ok(())
    }
    store_test!(concurrent_runners_lease_disjoint_webhook_jobs);

    async fn concurrent_sends_with_one_transaction_id_store_once(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = users(&store).await?;
        let mut tasks = Vec::new();
        for id in 20..28 {
            let (store, app) = (store.clone(), app.id.clone());
            tasks.push(tokio::spawn(async move {
                let sends = [one_to_one(message(id, ANN, BOB, ContentType::Text))];
                store.append(&app, &sends, Some((77, Timestamp(0)))).await
            }));
        }
        let mut stored = Vec::new();
        let mut answered = Vec::new();
        for t in tasks {
            match t.await?? {
                Appended::Stored(d) => stored.push(d[0].message),
                Appended::Duplicate(ids) => answered.push(ids),
            }
        }
        assert_eq!(stored.len(), 1, "exactly one send is stored");
        assert!(
            answered.iter().all(|ids| ids == &stored),
            "the others answer its ids"
        );
        assert_eq!(store.since(&app.id, BOB, 0, 100).await?.len(), 1);
        Ok(())
    }
    store_test!(concurrent_sends_with_one_transaction_id_store_once);
}

mod push {
    use tidings_kernel::jobs::JobQueue;
    use tidings_kernel::{DeviceSn, Timestamp, UserId};
    use tidings_push::model::{
        Audience, Badge, Channel, Kind, Notification, Recipient, Strategy, Task, TaskDetail, TaskId,
    };
    use tidings_push::ports::{Recipients, TaskRepository};
    use tidings_push::{TaskDelivery, VendorRetry};
    use tidings_store::{Store, store_test};
    use tidings_users::ports::{DeviceRepository, UserRepository};

    use super::{login, setup, user};

    fn task(app: &tidings_users::model::App, id: i64, audience: Audience) -> Task {
        Task {
            id: TaskId(id),
            app: app.id.clone(),
            request_id: Some(format!("r-{id}")),
            audience,
            strategy: Strategy::MxpushOnly,
            notification: Notification {
                kind: Kind::Image,
                title: "t".into(),
                body: "b".into(),
                big_text: "big".into(),
                attachment_url: "https://x/a.png".into(),
                badge: Badge::Add(2),
                ext: r#"{"k":1}"#.into(),
                show_begin: Some(Timestamp(5)),
                show_end: None,
            },
            created_at: Timestamp(3),
        }
    }

    async fn tasks_round_trip_dedup_by_request_id_and_count_per_channel(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = setup(&store).await?;
        let first = task(&app, 10, Audience::Users(vec![UserId(2), UserId(1)]));
        assert_eq!(store.create(&first, Timestamp(5)).await?, None);
        // The same request id answers the first task; nothing new is stored or queued.
        let mut again = task(&app, 11, Audience::All);
        again.request_id = first.request_id.clone();
        assert_eq!(store.create(&again, Timestamp(5)).await?, Some(TaskId(10)));
        assert!(store.find(&app.id, TaskId(11)).await?.is_none());
        let (found, cursor) = store
            .find(&app.id, TaskId(10))
            .await?
            .ok_or_else(|| anyhow::anyhow!("missing"))?;
        assert_eq!((found, cursor), (first, None));

        // One delivery is queued, due at its time.
        let early = JobQueue::<TaskDelivery>::lease_due(&store, Timestamp(4), Timestamp(9), 10);
        assert!(early.await?.is_empty());
        let leased =
            JobQueue::<TaskDelivery>::lease_due(&store, Timestamp(5), Timestamp(99), 10).await?;
        assert_eq!(leased.len(), 1);
        assert_eq!(leased[0].job.task, TaskId(10));
        JobQueue::<TaskDelivery>::done(&store, &[leased[0].id]).await?;

        let mut added = TaskDetail::new(TaskId(10));
        added.on_mut(Channel::Mxpush).target = 3;
        added.on_mut(Channel::Mxpush).sent = 2;
        let at = Some((UserId(2), DeviceSn(1)));
        store
            .progress(&app.id, &added, Some(at), &[(UserId(2), DeviceSn(1))])
            .await?;
        store.progress(&app.id, &added, None, &[]).await?;
        // The retry is queued, due a moment later.
        let retry = JobQueue::<VendorRetry>::lease_due(
            &store,
            Timestamp(i64::MAX - 1),
            Timestamp(i64::MAX),
            10,
        )
        .await?;
        assert_eq!(retry.len(), 1);
        assert_eq!(
            (retry[0].job.task, retry[0].job.user, retry[0].attempts),
            (TaskId(10), UserId(2), 1)
        );
        let details = store
            .details(&app.id, &[TaskId(99), TaskId(10), TaskId(10)])
            .await?;
        assert_eq!(details.len(), 1);
        assert_eq!(details[0].on(Channel::Mxpush).target, 6);
        assert_eq!(details[0].on(Channel::Mxpush).sent, 4);
        assert_eq!(details[0].on(Channel::Apns).target, 0);
        let (_, cursor) = store
            .find(&app.id, TaskId(10))
            .await?
            .ok_or_else(|| anyhow::anyhow!("missing"))?;
        assert_eq!(cursor, at);
        // Another app sees none of it.
        let other = super::app_named(&store, "app2").await?;
        assert!(store.details(&other.id, &[TaskId(10)]).await?.is_empty());
        assert!(store.find(&other.id, TaskId(10)).await?.is_none());
        Ok(())
    }
    store_test!(tasks_round_trip_dedup_by_request_id_and_count_per_channel);

    async fn audiences_name_devices_in_pages_and_badges_are_set(
        store: Store,
    ) -> anyhow::Result<()> {
        let app = setup(&store).await?;
        for (id, name) in [(1, "ann"), (2, "bob"), (3, "cyd")] {
            store.insert_user(&user(&app, id, name), 0, None).await?;
        }
        for guid in ["a1", "a2"] {
            store.login_device(&app.id, UserId(1), &login(guid)).await?;
        }
        store.login_device(&app.id, UserId(2), &login("b1")).await?;
        store
            .add_push_tags(&app.id, UserId(2), &["t".into()])
            .await?;
        store.set_push_alias(&app.id, UserId(1), "al").await?;
        store.set_badge(&app.id, UserId(1), 4).await?;
        store
            .set_vendor_token(
                &app.id,
                UserId(2),
                DeviceSn(1),
                Some(("tok-b".into(), "apns".into())),
            )
            .await?;
        let ids = |r: Vec<Recipient>| -> Vec<(i64, i64, i64)> {
            r.into_iter()
                .map(|r| (r.user.0, r.device.0, r.badge))
                .collect()
        };
        let all = store.page(&app.id, &Audience::All, None, 10).await?;
        assert_eq!(ids(all), [(1, 1, 4), (1, 2, 4), (2, 1, 0)]);
        // Pages continue after the cursor.
        let first = store.page(&app.id, &Audience::All, None, 2).await?;
        let next = store
            .page(&app.id, &Audience::All, Some((UserId(1), DeviceSn(2))), 2)
            .await?;
        assert_eq!((first.len(), ids(next)), (2, vec![(2, 1, 0)]));
        let tags = store
            .page(&app.id, &Audience::Tags(vec!["t".into()]), None, 10)
            .await?;
        assert_eq!(
            tags[0]
                .vendor
                .as_ref()
                .map(|v| (v.notifier.as_str(), v.token.as_str())),
            Some(("apns", "tok-b"))
        );
        assert_eq!(ids(tags), [(2, 1, 0)]);
        // A dead token is forgotten, unless the device bound another one meanwhile.
        store
            .forget_vendor_token(&app.id, UserId(2), DeviceSn(1), "older")
            .await?;
        let page = store.page(&app.id, &Audience::All, None, 10).await?;
        assert!(page[2].vendor.is_some());
        store
            .forget_vendor_token(&app.id, UserId(2), DeviceSn(1), "tok-b")
            .await?;
        let page = store.page(&app.id, &Audience::All, None, 10).await?;
        assert!(page[2].vendor.is_none());
        let alias = store
            .page(&app.id, &Audience::Aliases(vec!["al".into()]), None, 10)
            .await?;
        assert_eq!(ids(alias).len(), 2);
        let tokens = Audience::PushTokens(vec!["push-a2".into(), "push-b1".into()]);
        let tokens = store.page(&app.id, &tokens, None, 10).await?;
        assert_eq!(ids(tokens), [(1, 2, 4), (2, 1, 0)]);
        let users = Audience::Users(vec![UserId(2), UserId(3)]);
        assert_eq!(
            ids(store.page(&app.id, &users, None, 10).await?),
            [(2, 1, 0)]
        );
        let other = super::app_named(&store, "app2").await?;
        assert!(
            store
                .page(&other.id, &Audience::All, None, 10)
                .await?
                .is_empty()
        );

        store
            .set_badges(&app.id, &[(UserId(1), 9), (UserId(2), 9), (UserId(3), 1)])
            .await?;
        let badges: Vec<i64> = store
            .page(&app.id, &Audience::All, None, 10)
            .await?
            .iter()
            .map(|r| r.badge)
            .collect();
        assert_eq!(badges, [9, 9, 9]);
        Ok(())
    }
    store_test!(audiences_name_devices_in_pages_and_badges_are_set);
}
