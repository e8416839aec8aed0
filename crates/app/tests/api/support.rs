//! The test harness: the real server on port 0 with a fresh database, and a small HTTP DSL.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tidings_app::bootstrap::CredentialsFile;
use tidings_app::{Config, RunningServer};
use tidings_http::limits::Rate;
use tidings_store::testing::TestDatabase;

pub struct TestApp {
    pub base: String,
    /// The default app, created by the server's first start.
    pub app: CredentialsFile,
    pub config: Config,
    client: reqwest::Client,
    server: Option<RunningServer>,
    db: Option<TestDatabase>,
}

/// Declares a test that runs `$name(&TestApp)` against the real server on SQLite and, when
/// `TIDINGS_TEST_POSTGRES_URL` is set, on PostgreSQL.
macro_rules! api_test {
    ($name:ident) => {
        api_test!($name, |_config| {});
    };
    ($name:ident, $configure:expr) => {
        mod $name {
            use crate::support::{Backend, TestApp};

            async fn run(backend: Backend) -> anyhow::Result<()> {
                let Some(app) = TestApp::spawn(backend, $configure).await? else {
                    return Ok(());
                };
                super::$name(&app).await?;
                app.finish().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                run(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                run(Backend::Postgres).await
            }
        }
    };
}
pub(crate) use api_test;

pub use tidings_store::testing::Backend;

impl TestApp {
    /// Starts the server on a fresh database; `None` when PostgreSQL was asked for and is
    /// not configured (the skip is printed).
    pub async fn spawn(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Option<Self>> {
        let Some(db) = TestDatabase::create(backend).await? else {
            return Ok(None);
        };
        let data_dir = std::env::temp_dir().join(format!("tidings-data-{}", uuid_like()));
        let mut config = Config {
            database_url: db.url.clone(),
            data_dir: data_dir.clone(),
            listen: "127.0.0.1:0".into(),
            bcrypt_cost: 4,
            token_ttl_secs: 3600,
            token_cache_secs: 10,
            friend_application_ttl_secs: 3600,
            groups: tidings_groups::GroupsPolicy::default(),
            node_id: 1,
            workers: 1,
            db_max_connections: 4,
            gateway: tidings_http::GatewaySettings::default(),
            edge: tidings_http::edge::EdgeSettings::default(),
            // Every test client comes from 127.0.0.1 and many tests register and log in
            // dozens of users: the rate-limit tests set their own limits.
            limits: tidings_http::limits::LimitSettings {
                logins_per_ip: Rate::new(100_000, 100_000),
                registrations_per_ip: Rate::new(100_000, 100_000),
                sends_per_user: Rate::new(100_000, 100_000),
                ..tidings_http::limits::LimitSettings::default()
            },
            webhooks: tidings_app::config::WebhookSettings::default(),
            group_commit: tidings_messaging::group_commit::GroupCommitSettings::default(),
            files: tidings_app::config::FileSettings {
                location: tidings_objects::Location::Disk(data_dir.join("files")),
                public_url: None,
                policy: tidings_files::FilesPolicy::default(),
                max_concurrent_uploads: 32,
            },
            push: tidings_vendors::VendorSettings::default(),
        };
        configure(&mut config);
        let server = tidings_app::start(config.clone()).await?;
        let app = server
            .default_app
            .clone()
            .ok_or_else(|| anyhow::anyhow!("a fresh database should get a default app"))?;
        Ok(Some(Self {
            base: format!("http://{}", server.addr),
            app,
            config,
            client: reqwest::Client::new(),
            server: Some(server),
            db: Some(db),
        }))
    }

    /// A second server on the same database and data folder (which it must not re-seed).
    pub async fn spawn_on(other: &TestApp) -> anyhow::Result<Self> {
        let server = tidings_app::start(other.config.clone()).await?;
        anyhow::ensure!(
            server.default_app.is_none(),
            "a second start must not create an app"
        );
        Ok(Self {
            base: format!("http://{}", server.addr),
            app: other.app.clone(),
            config: other.config.clone(),
            client: reqwest::Client::new(),
            server: Some(server),
            db: None,
        })
    }

    /// Stops the server, leaving the database and data folder to their owner.
    pub async fn stop_only(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        Ok(())
    }

    /// Stops the server and starts it again on the same database and data folder.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        let server = tidings_app::start(self.config.clone()).await?;
        anyhow::ensure!(
            server.default_app.is_none(),
            "a second start must not create an app"
        );
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
        Ok(())
    }

    pub async fn finish(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        let _ = std::fs::remove_dir_all(&self.config.data_dir);
        if let Some(db) = self.db.take() {
            db.remove().await?;
        }
        Ok(())
    }

    /// A request with no `app_id` header at all.
    pub async fn raw_without_app_id(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        Call {
            rb: self.client.get(format!("{}{path}", self.base)),
        }
        .raw()
        .await
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// A request in the default app.
    pub fn call(&self, method: Method, path: &str) -> Call {
        self.call_in(&self.app.app_id, method, path)
    }

    /// A request naming another app.
    pub fn call_in(&self, app_id: &str, method: Method, path: &str) -> Call {
        let rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("app_id", app_id);
        Call { rb }
    }

    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Call {
        self.call(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Call {
        self.call(Method::DELETE, path)
    }

    /// A JMessage request with the default app's app key and master secret as HTTP Basic
    /// credentials.
    pub fn jmessage(&self, method: Method, path: &str) -> Call {
        self.without_credentials(method, path)
            .basic_auth(&self.app.app_key, &self.app.master_secret)
    }

    /// A request with no credentials and no `app_id` header.
    pub fn without_credentials(&self, method: Method, path: &str) -> Call {
        Call {
            rb: self.client.request(method, format!("{}{path}", self.base)),
        }
    }

    /// A request with the admin token.
    pub fn admin(&self, method: Method, path: &str) -> Call {
        self.call(method, path).token(&self.app.admin_token)
    }

    /// A request with the admin token acting as `user`.
    pub fn admin_as(&self, user: i64, method: Method, path: &str) -> Call {
        self.admin(method, path)
            .header("user_id", &user.to_string())
    }

    /// The user as stored, read through the domain service (for what no endpoint shows).
    pub async fn stored_user(&self, user: i64) -> anyhow::Result<tidings_users::model::User> {
        let users = tidings_app::users_service(&self.config).await?;
        Ok(users.profile(&self.principal_of(user)?).await?)
    }

    /// The user's devices as stored.
    pub async fn stored_devices(
        &self,
        user: i64,
    ) -> anyhow::Result<Vec<tidings_users::model::Device>> {
        let users = tidings_app::users_service(&self.config).await?;
        Ok(users.devices(&self.principal_of(user)?).await?)
    }

    fn principal_of(&self, user: i64) -> anyhow::Result<tidings_kernel::Principal> {
        Ok(tidings_kernel::Principal {
            app: tidings_kernel::AppId::parse(&self.app.app_id)?,
            actor: tidings_kernel::Actor::AdminAsUser(tidings_kernel::UserId(user)),
        })
    }

    /// Registers a user and returns its id.
    pub async fn register(&self, name: &str, password: &str) -> anyhow::Result<i64> {
        let v = self
            .post("/user/register/v2")
            .json(serde_json::json!({"username": name, "password": password}))
            .ok()
            .await?;
        id(&v["user_id"])
    }

    /// Logs in by username, optionally on a device, and returns the token answer's data.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        device: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut body = serde_json::json!({"name": name, "password": password});
        if let Some(guid) = device {
            body["device_guid"] = guid.into();
        }
        self.post("/token/user").json(body).ok().await
    }

    /// Registers and logs in a user; returns (user id, token).
    pub async fn user(&self, name: &str) -> anyhow::Result<(i64, String)> {
        let id = self.register(name, "secret-pw").await?;
        let token = self.login(name, "secret-pw", None).await?;
        Ok((id, text(&token["token"])?))
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", std::process::id())
}

pub fn id(v: &Value) -> anyhow::Result<i64> {
    v.as_i64().ok_or_else(|| anyhow::anyhow!("not an id: {v}"))
}

pub fn text(v: &Value) -> anyhow::Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("not a string: {v}"))
}

/// One request being built.
pub struct Call {
    rb: reqwest::RequestBuilder,
}

impl Call {
    pub fn token(self, token: &str) -> Self {
        self.header("access-token", token)
    }

    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        Self {
            rb: self.rb.basic_auth(user, Some(password)),
        }
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        Self {
            rb: self.rb.header(name, value),
        }
    }

    pub fn json(self, body: Value) -> Self {
        Self {
            rb: self.rb.json(&body),
        }
    }

    pub fn body(self, body: impl Into<reqwest::Body>) -> Self {
        Self {
            rb: self.rb.body(body),
        }
    }

    pub fn query<T: serde::Serialize + ?Sized>(self, query: &T) -> Self {
        Self {
            rb: self.rb.query(query),
        }
    }

    /// Sends and returns the HTTP status and the JSON answer.
    pub async fn raw(self) -> anyhow::Result<(StatusCode, Value)> {
        let (status, _, value) = self.with_headers().await?;
        Ok((status, value))
    }

    /// Sends and returns the HTTP status and the headers, whatever the body.
    pub async fn status_and_headers(
        self,
    ) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap)> {
        let response = self.rb.send().await?;
        Ok((response.status(), response.headers().clone()))
    }

    /// Sends and returns the HTTP status, the headers and the JSON answer.
    pub async fn with_headers(
        self,
    ) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap, Value)> {
        let response = self.rb.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        Ok((status, headers, value))
    }

    /// Sends, expects HTTP 200, and returns the envelope.
    pub async fn send(self) -> anyhow::Result<Value> {
        let (status, value) = self.raw().await?;
        anyhow::ensure!(status == StatusCode::OK, "HTTP {status}: {value}");
        Ok(value)
    }

    /// Sends, expects code 200, and returns `data`.
    pub async fn ok(self) -> anyhow::Result<Value> {
        let value = self.send().await?;
        anyhow::ensure!(value["code"] == 200, "expected success, got {value}");
        anyhow::ensure!(
            value["message"].is_null(),
            "success carries no message: {value}"
        );
        Ok(value["data"].clone())
    }

    /// Sends and expects JMessage's refusal: HTTP `status` and
    /// `{"error": {"code": code, "message": …}}`.
    pub async fn jm_refused(self, status: u16, code: i64) -> anyhow::Result<Value> {
        let (got, value) = self.raw().await?;
        anyhow::ensure!(
            got.as_u16() == status && value["error"]["code"] == code,
            "expected HTTP {status} with code {code}, got HTTP {got}: {value}"
        );
        anyhow::ensure!(
            value["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "a refusal carries a message: {value}"
        );
        Ok(value)
    }

    /// Sends and expects HTTP `status` with no body.
    pub async fn empty(self, status: u16) -> anyhow::Result<()> {
        let response = self.rb.send().await?;
        let got = response.status();
        let body = response.bytes().await?;
        anyhow::ensure!(
            got.as_u16() == status && body.is_empty(),
            "expected HTTP {status} with no body, got HTTP {got}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(())
    }

    /// Sends and expects business error `code` with a message (HTTP 200, `data` null).
    pub async fn refused(self, code: i64) -> anyhow::Result<Value> {
        let value = self.send().await?;
        anyhow::ensure!(value["code"] == code, "expected code {code}, got {value}");
        anyhow::ensure!(
            value["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a refusal carries a message: {value}"
        );
        anyhow::ensure!(
            value["data"].is_null(),
            "a refusal carries no data: {value}"
        );
        Ok(value)
    }
}
