use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use tidings_kernel::{Actor, AppId, DeviceSn, MockClock, MockIdGenerator, Timestamp};

use super::*;
use crate::ports::{MockFileRepository, MockParties};

/// The file store kept in memory.
#[derive(Default)]
struct MemoryStore(Mutex<HashMap<String, Vec<u8>>>);

#[async_trait]
impl FileStore for MemoryStore {
    async fn put(&self, key: &str, _: &str, mut body: ByteStream) -> anyhow::Result<u64> {
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        let size = bytes.len() as u64;
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), bytes);
        Ok(size)
    }

    async fn fetch(&self, key: &str, _: &str, _: &str) -> anyhow::Result<Option<Fetched>> {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        Ok(bytes.map(|bytes| {
            Fetched::Bytes(
                futures_util::stream::once(async move { Ok(bytes::Bytes::from(bytes)) }).boxed(),
            )
        }))
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        Ok(())
    }
}

fn app() -> AppId {
    AppId::parse("app1").unwrap_or_else(|_| unreachable!())
}

fn user(id: i64) -> Principal {
    Principal {
        app: app(),
        actor: Actor::User {
            user: UserId(id),
            device: DeviceSn(1),
        },
    }
}

fn files(repo: MockFileRepository, parties: MockParties, store: Arc<MemoryStore>) -> Files {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(Timestamp(1_000));
    let mut ids = MockIdGenerator::new();
    ids.expect_next_id().return_const(42_i64);
    Files::new(FilesDeps {
        repo: Arc::new(repo),
        parties: Arc::new(parties),
        store,
        ids: Arc::new(ids),
        clock: Arc::new(clock),
        key: TicketKey::new(vec![3; 32]).unwrap_or_else(|_| unreachable!()),
        policy: FilesPolicy {
            max_image_bytes: 10,
            ..FilesPolicy::default()
        },
    })
}

fn parties_with_group(members: &'static [(i64, Standing)]) -> MockParties {
    let mut p = MockParties::new();
    p.expect_group_exists().returning(|_, g| Ok(g.0 == 9));
    p.expect_user_exists().returning(|_, u| Ok(u.0 < 100));
    p.expect_standing()
        .returning(move |_, _, u| Ok(members.iter().find(|(id, _)| *id == u.0).map(|(_, s)| *s)));
    p
}

fn body(bytes: &'static [u8]) -> ByteStream {
    futures_util::stream::iter(bytes.chunks(3).map(|c| Ok(bytes::Bytes::from_static(c)))).boxed()
}

#[tokio::test]
async fn chat_uploads_check_the_type_and_the_target() {
    let f = files(
        MockFileRepository::new(),
        parties_with_group(&[(1, Standing::Member)]),
        Arc::default(),
    );
    assert!(matches!(
        f.chat_upload(&user(1), 99, 2, Some(1)).await,
        Err(FileError::InvalidInput(_))
    ));
    assert!(matches!(
        f.chat_upload(&user(1), 200, 2, Some(1)).await,
        Err(FileError::InvalidInput(m)) if m.contains("shared")
    ));
    assert!(matches!(
        f.chat_upload(&user(1), 100, 500, Some(1)).await,
        Err(FileError::UserNotFound)
    ));
    assert!(matches!(
        f.chat_upload(&user(2), 100, 9, Some(2)).await,
        Err(FileError::NeedMember)
    ));
    // Without to_type, the id tells: 9 is a group.
    let slot = f.chat_upload(&user(1), 202, 9, None).await;
    assert!(matches!(
        slot,
        Ok(s) if s.grant.purpose == Purpose::Chat {
            file_type: FileType::SharedImage,
            to: Conversation::Group(GroupId(9)),
        } && s.grant.expires_at == 1_000 + FilesPolicy::default().upload_ttl_ms
    ));
}

#[tokio::test]
async fn only_group_admins_may_upload_its_avatar() {
    let f = files(
        MockFileRepository::new(),
        parties_with_group(&[(1, Standing::Member), (2, Standing::Admin)]),
        Arc::default(),
    );
    assert!(matches!(
        f.group_avatar_upload(&user(1), GroupId(9)).await,
        Err(FileError::NeedAdmin)
    ));
    assert!(f.group_avatar_upload(&user(2), GroupId(9)).await.is_ok());
    assert!(matches!(
        f.group_avatar_upload(&user(2), GroupId(8)).await,
        Err(FileError::GroupNotFound)
    ));
    let admin = Principal {
        app: app(),
        actor: Actor::Admin,
    };
    assert!(matches!(
        f.user_avatar_upload(&admin).await,
        Err(FileError::NoPermission(_))
    ));
}

#[tokio::test]
async fn an_upload_over_its_limit_keeps_nothing() {
    let store = Arc::new(MemoryStore::default());
    let mut repo = MockFileRepository::new();
    repo.expect_claim().times(2).returning(|_| Ok(true));
    repo.expect_discard().times(1).returning(|_, _| Ok(()));
    repo.expect_stored().times(1).returning(|_, _, _| Ok(true));
    let f = files(
        repo,
        parties_with_group(&[(1, Standing::Member)]),
        store.clone(),
    );
    let slot = f.chat_upload(&user(1), 102, 2, Some(1)).await;
    let ticket = slot.map(|s| s.ticket).unwrap_or_default();
    let checked = f.check_ticket(&ticket);
    let Ok(checked) = checked else {
        panic!("the ticket should check: {checked:?}");
    };
    let refused = f
        .upload(checked.clone(), UploadMeta::default(), body(b"eleven byte"))
        .await;
    assert!(matches!(refused, Err(FileError::TooLarge { limit: 10 })));
    let stored = f
        .upload(
            checked,
            UploadMeta {
                name: "../../etc/a.png".into(),
                content_type: Some("Image/PNG; x=1".into()),
            },
            body(b"ten bytes!"),
        )
        .await;
    assert!(matches!(
        &stored,
        Ok(s) if s.size == 10 && s.name == "a.png" && s.content_type == "image/png"
    ));
    let key = stored.map(|s| s.key()).unwrap_or_default();
    assert_eq!(
        store
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .map(Vec::len),
        Some(10)
    );
}

#[tokio::test]
async fn a_used_or_forged_upload_url_is_refused() {
    let mut repo = MockFileRepository::new();
    repo.expect_claim().returning(|_| Ok(false));
    let f = files(repo, parties_with_group(&[]), Arc::default());
    let slot = f.user_avatar_upload(&user(1)).await;
    let ticket = slot.map(|s| s.ticket).unwrap_or_default();
    let checked = f.check_ticket(&ticket);
    let Ok(checked) = checked else {
        panic!("the ticket should check: {checked:?}");
    };
    assert!(matches!(
        f.upload(checked, UploadMeta::default(), body(b"x")).await,
        Err(FileError::AlreadyUploaded)
    ));
    let forged = format!("{ticket}x");
    assert!(matches!(
        f.check_ticket(&forged),
        Err(FileError::BadTicket(_))
    ));
}

fn chat_file(to: Conversation) -> StoredFile {
    StoredFile {
        id: 1,
        app: app(),
        sign: "s".into(),
        object: "chat/s".into(),
        purpose: Purpose::Chat {
            file_type: FileType::File,
            to,
        },
        uploader: UserId(1),
        size: 1,
        content_type: "text/plain".into(),
        name: "a.txt".into(),
        created_at: Timestamp(0),
    }
}

#[tokio::test]
async fn only_the_parties_of_its_conversation_read_a_chat_file() {
    let store = Arc::new(MemoryStore::default());
    store
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert("app1/chat/s".into(), b"x".to_vec());
    for (to, readers, strangers) in [
        (Conversation::User(UserId(2)), vec![1, 2], vec![3]),
        (Conversation::Group(GroupId(9)), vec![4], vec![1, 2]),
    ] {
        let mut repo = MockFileRepository::new();
        repo.expect_by_sign()
            .returning(move |_, _| Ok(Some(chat_file(to))));
        let f = files(
            repo,
            parties_with_group(&[(4, Standing::Member)]),
            store.clone(),
        );
        for r in readers {
            assert!(f.download_chat(&user(r), "s").await.is_ok(), "{r} {to:?}");
        }
        for s in strangers {
            assert!(
                matches!(
                    f.download_chat(&user(s), "s").await,
                    Err(FileError::NoPermission(_))
                ),
                "{s} {to:?}"
            );
        }
        let admin = Principal {
            app: app(),
            actor: Actor::Admin,
        };
        assert!(f.download_chat(&admin, "s").await.is_ok());
    }
}
