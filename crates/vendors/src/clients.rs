//! [`VendorClients`]: the push domain's `VendorChannels` on one HTTP/2 client (connections
//! are kept and multiplexed per provider host), with the apps' credentials loaded from the
//! store and kept for a while, provider tokens reused for most of their life, a bound on
//! requests in flight, and 429 and 5xx answers retried with backoff.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use reqwest_push as reqwest;
use tidings_kernel::AppId;
use tidings_push::RepoError;
use tidings_push::model::{Notifier, Provider};
use tidings_push::ports::{CredentialRepository, Sent, VendorChannels, VendorPush};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::apns::{self, Apns};
use crate::fcm::{self, AccessToken, Fcm};
use crate::now_secs;
use crate::webpush::{self, WebPush};

/// Where the providers are and how hard to push them.
#[derive(Clone, Debug)]
pub struct VendorSettings {
    /// Replaces APNs' hosts (`TIDINGS_APNS_URL`): tests and private gateways.
    pub apns_url: Option<String>,
    /// Replaces FCM's host (`TIDINGS_FCM_URL`).
    pub fcm_url: Option<String>,
    /// A PEM file of further trusted roots (`TIDINGS_PUSH_EXTRA_CA`).
    pub extra_ca: Option<PathBuf>,
    /// Lets Web Push reach endpoints at private and loopback addresses
    /// (`TIDINGS_WEBPUSH_ALLOW_PRIVATE`): tests and push services inside a private network.
    /// Off, an endpoint (a URL a client chose) is reached only at public addresses.
    pub webpush_allow_private: bool,
    /// Requests in flight at once, over all providers.
    pub max_in_flight: usize,
    /// One request's deadline.
    pub timeout: Duration,
    /// Attempts of one push when the provider answers 429 or 5xx (or cannot be reached).
    pub attempts: u32,
    /// The first wait between attempts, doubled after each (a `Retry-After` of up to
    /// [`MAX_RETRY_AFTER`] is honoured instead).
    pub first_backoff: Duration,
}

impl Default for VendorSettings {
    fn default() -> Self {
        Self {
            apns_url: None,
            fcm_url: None,
            extra_ca: None,
            webpush_allow_private: false,
            max_in_flight: 500,
            timeout: Duration::from_secs(10),
            attempts: 3,
            first_backoff: Duration::from_millis(200),
        }
    }
}

/// The longest `Retry-After` a send waits for; a longer one fails the push.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// How long an app's credentials are kept before they are read again (a change by
/// `tidings app update` takes effect within this).
const CREDENTIALS_TTL: Duration = Duration::from_secs(30);
/// APNs tokens live an hour and may be refreshed every 20 minutes at most.
const APNS_JWT_TTL: Duration = Duration::from_secs(40 * 60);
/// An FCM access token is replaced this long before it expires.
const FCM_TOKEN_MARGIN: i64 = 60;
/// A VAPID JWT (valid [`webpush::VAPID_TTL_SECS`]) is reused this long.
const VAPID_JWT_REUSE: Duration = Duration::from_secs(6 * 3600);
/// The most VAPID JWTs kept (one per app key and push service origin).
const VAPID_JWT_CACHE: usize = 10_000;

/// An app's credentials, loaded, by notifier.
type AppKeys = Arc<Vec<(Notifier, Loaded)>>;

#[derive(Clone)]
enum Loaded {
    Apns(Apns),
    Fcm(Fcm),
    WebPush(WebPush),
}

/// The vendors' push services; see the module docs.
pub struct VendorClients {
    http: reqwest::Client,
    /// Web Push endpoints are URLs clients chose: a client of its own that resolves names to
    /// public addresses only and follows no redirect.
    webpush_http: reqwest::Client,
    settings: VendorSettings,
    credentials: Arc<dyn CredentialRepository>,
    in_flight: Semaphore,
    apps: Mutex<HashMap<AppId, (Instant, AppKeys)>>,
    /// APNs provider tokens by (team, key id).
    apns_jwts: Mutex<HashMap<(String, String), (Instant, String)>>,
    /// FCM access tokens by service account, with their expiry (seconds since the epoch).
    fcm_tokens: Mutex<HashMap<String, (i64, String)>>,
    /// VAPID JWTs by (public key, push service origin).
    vapid_jwts: Mutex<HashMap<(String, String), (Instant, String)>>,
}

/// What one attempt came to.
enum Attempt {
    Done(Sent),
    /// Worth another attempt, after this wait if the provider named one.
    Again(String, Option<Duration>),
    /// The provider refused our token: make a new one and try again.
    Reauthorize(String),
}

impl VendorClients {
    /// # Errors
    /// When the extra roots cannot be read or the HTTP client cannot be built.
    pub fn new(
        settings: VendorSettings,
        credentials: Arc<dyn CredentialRepository>,
    ) -> anyhow::Result<Self> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout)
                .pool_idle_timeout(Duration::from_secs(600))
                .http2_keep_alive_interval(Duration::from_secs(60))
        };
        // No proxy from the environment either: a proxy would resolve the endpoint's host
        // itself, past the address rule.
        let (mut http, mut webpush_http) = (
            builder(),
            builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy(),
        );
        if !settings.webpush_allow_private {
            webpush_http = webpush_http.dns_resolver(Arc::new(PublicOnly));
        }
        if let Some(path) = &settings.extra_ca {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("TIDINGS_PUSH_EXTRA_CA {}: {e}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
                http = http.add_root_certificate(cert.clone());
                webpush_http = webpush_http.add_root_certificate(cert);
            }
        }
        Ok(Self {
            http: http.build()?,
            webpush_http: webpush_http.build()?,
            in_flight: Semaphore::new(settings.max_in_flight.max(1)),
            settings,
            credentials,
            apps: Mutex::default(),
            apns_jwts: Mutex::default(),
            fcm_tokens: Mutex::default(),
            vapid_jwts: Mutex::default(),
        })
    }

    /// The app's loaded credentials (read again after [`CREDENTIALS_TTL`]); a credential that
    /// does not load is left out and logged.
    async fn loaded(&self, app: &AppId) -> Result<AppKeys, RepoError> {
        {
            let apps = self.apps.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, loaded)) = apps.get(app)
                && at.elapsed() < CREDENTIALS_TTL
            {
                return Ok(loaded.clone());
            }
        }
        let mut loaded = Vec::new();
        for credential in self.credentials.credentials(app).await? {
            let load = match credential.notifier.provider {
                Provider::Apns => Apns::load(&credential).map(Loaded::Apns),
                Provider::Fcm => Fcm::load(&credential).map(Loaded::Fcm),
                Provider::WebPush => WebPush::load(&credential).map(Loaded::WebPush),
            };
            match load {
                Ok(l) => loaded.push((credential.notifier, l)),
                Err(e) => {
                    tracing::warn!(app = %app, provider = credential.notifier.provider.name(),
                    error = %e, "stored push credentials do not load")
                }
            }
        }
        let loaded = Arc::new(loaded);
        self.apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(app.clone(), (Instant::now(), loaded.clone()));
        Ok(loaded)
    }

    /// Tries a push up to the configured attempts.
    async fn with_retries<F, Fut>(&self, mut attempt: F) -> Sent
    where
        F: FnMut(bool) -> Fut,
        Fut: std::future::Future<Output = Attempt>,
    {
        let mut wait = self.settings.first_backoff;
        let mut fresh_token = false;
        let mut last = String::new();
        for n in 0..self.settings.attempts.max(1) {
            if n > 0 {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
            match attempt(fresh_token).await {
                Attempt::Done(sent) => return sent,
                Attempt::Again(why, after) => {
                    if let Some(after) = after {
                        if after > MAX_RETRY_AFTER {
                            return Sent::Unavailable(format!("{why}; retry after {after:?}"));
                        }
                        wait = after;
                    }
                    last = why;
                }
                Attempt::Reauthorize(why) if !fresh_token => {
                    fresh_token = true;
                    wait = Duration::ZERO;
                    last = why;
                }
                Attempt::Reauthorize(why) => return Sent::Failed(why),
            }
        }
        Sent::Unavailable(last)
    }

    fn apns_jwt(&self, key: &Apns, fresh: bool) -> anyhow::Result<String> {
        let id = (key.team_id.clone(), key.key_id.clone());
        let mut jwts = self
            .apns_jwts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !fresh
            && let Some((at, jwt)) = jwts.get(&id)
            && at.elapsed() < APNS_JWT_TTL
        {
            return Ok(jwt.clone());
        }
        let jwt = key.jwt(now_secs())?;
        jwts.insert(id, (Instant::now(), jwt.clone()));
        Ok(jwt)
    }

    async fn apns_once(&self, key: &Apns, token: &str, push: &VendorPush, fresh: bool) -> Attempt {
        let jwt = match self.apns_jwt(key, fresh) {
            Ok(jwt) => jwt,
            Err(e) => return Attempt::Done(Sent::Failed(format!("APNs token: {e}"))),
        };
        let base = self.settings.apns_url.as_deref().unwrap_or(if key.sandbox {
            apns::SANDBOX_URL
        } else {
            apns::PRODUCTION_URL
        });
        let (push_type, priority, payload) = apns::request(push);
        let mut request = self
            .http
            .post(format!("{}/3/device/{token}", base.trim_end_matches('/')))
            .version(reqwest::Version::HTTP_2)
            .bearer_auth(jwt)
            .header("apns-topic", &key.topic)
            .header("apns-push-type", push_type)
            .header("apns-priority", priority)
            .json(&payload);
        if let Some(end) = push.notification.show_end {
            request = request.header("apns-expiration", (end.0 / 1000).to_string());
        }
        let answer = match request.send().await {
            Ok(a) => a,
            Err(e) => return Attempt::Again(format!("APNs unreachable: {e}"), None),
        };
        let status = answer.status().as_u16();
        let after = retry_after(&answer);
        if status == 200 {
            return Attempt::Done(Sent::Accepted);
        }
        let reason = answer
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["reason"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let why = format!("APNs {status} {reason}");
        if apns::dead_token(status, &reason) {
            Attempt::Done(Sent::DeadToken)
        } else if status == 403 && reason == "ExpiredProviderToken" {
            Attempt::Reauthorize(why)
        } else if status == 429 || status >= 500 {
            Attempt::Again(why, after)
        } else {
            Attempt::Done(Sent::Failed(why))
        }
    }

    async fn fcm_token(&self, account: &Fcm, fresh: bool) -> Result<String, Attempt> {
        let now = now_secs();
        if !fresh {
            let tokens = self
                .fcm_tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((expires, token)) = tokens.get(&account.client_email)
                && *expires - FCM_TOKEN_MARGIN > now
            {
                return Ok(token.clone());
            }
        }
        let assertion = account
            .assertion(now)
            .map_err(|e| Attempt::Done(Sent::Failed(format!("FCM assertion: {e}"))))?;
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let answer = self
            .http
            .post(&account.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| Attempt::Again(format!("FCM token endpoint unreachable: {e}"), None))?;
        let status = answer.status().as_u16();
        if status != 200 {
            let why = format!("FCM token endpoint {status}");
            return Err(if status == 429 || status >= 500 {
                Attempt::Again(why, retry_after(&answer))
            } else {
                Attempt::Done(Sent::Failed(why))
            });
        }
        let token: AccessToken = answer
            .json()
            .await
            .map_err(|e| Attempt::Done(Sent::Failed(format!("FCM token answer: {e}"))))?;
        self.fcm_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                account.client_email.clone(),
                (now + token.expires_in, token.access_token.clone()),
            );
        Ok(token.access_token)
    }

    async fn fcm_once(
        &self,
        account: &Fcm,
        token: &str,
        push: &VendorPush,
        fresh: bool,
    ) -> Attempt {
        let access = match self.fcm_token(account, fresh).await {
            Ok(t) => t,
            Err(attempt) => return attempt,
        };
        let base = self.settings.fcm_url.as_deref().unwrap_or(fcm::FCM_URL);
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            base.trim_end_matches('/'),
            account.project_id
        );
        let answer = match self
            .http
            .post(url)
            .bearer_auth(access)
            .json(&fcm::request(token, push))
            .send()
            .await
        {
            Ok(a) => a,
            Err(e) => return Attempt::Again(format!("FCM unreachable: {e}"), None),
        };
        let status = answer.status().as_u16();
        let after = retry_after(&answer);
        if status == 200 {
            return Attempt::Done(Sent::Accepted);
        }
        let body = answer.text().await.unwrap_or_default();
        let why = format!(
            "FCM {status} {}",
            body.chars().take(200).collect::<String>()
        );
        if fcm::dead_token(status, &body) {
            Attempt::Done(Sent::DeadToken)
        } else if status == 401 {
            Attempt::Reauthorize(why)
        } else if status == 429 || status >= 500 {
            Attempt::Again(why, after)
        } else {
            Attempt::Done(Sent::Failed(why))
        }
    }
}

impl VendorClients {
    fn vapid_jwt(&self, key: &WebPush, audience: String, fresh: bool) -> anyhow::Result<String> {
        let id = (key.public.clone(), audience);
        let mut jwts = self
            .vapid_jwts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !fresh
            && let Some((at, jwt)) = jwts.get(&id)
            && at.elapsed() < VAPID_JWT_REUSE
        {
            return Ok(jwt.clone());
        }
        let jwt = key.jwt(&id.1, now_secs())?;
        // Origins are the clients' choice: the cache keeps only live tokens, and at most
        // VAPID_JWT_CACHE of them.
        if jwts.len() >= VAPID_JWT_CACHE {
            jwts.retain(|_, (at, _)| at.elapsed() < VAPID_JWT_REUSE);
            if jwts.len() >= VAPID_JWT_CACHE {
                jwts.clear();
            }
        }
        jwts.insert(id, (Instant::now(), jwt.clone()));
        Ok(jwt)
    }

    async fn webpush_once(
        &self,
        key: &WebPush,
        subscription: &webpush::Subscription,
        body: &[u8],
        push: &VendorPush,
        fresh: bool,
    ) -> Attempt {
        let jwt = match self.vapid_jwt(key, subscription.audience(), fresh) {
            Ok(jwt) => jwt,
            Err(e) => return Attempt::Done(Sent::Failed(format!("VAPID token: {e}"))),
        };
        let ttl = webpush::ttl(push, now_secs().saturating_mul(1000));
        let answer = match self
            .webpush_http
            .post(subscription.endpoint.clone())
            .header("authorization", format!("vapid t={jwt}, k={}", key.public))
            .header("ttl", ttl.to_string())
            .header("urgency", webpush::urgency(push))
            .header("content-encoding", "aes128gcm")
            .header("content-type", "application/octet-stream")
            .body(body.to_vec())
            .send()
            .await
        {
            Ok(a) => a,
            Err(e) if refused_as_private(&e) => {
                return Attempt::Done(Sent::Failed(
                    "the Web Push endpoint has no public address".into(),
                ));
            }
            // The endpoint's URL is the browser's capability: never in logs or the queue.
            Err(e) => {
                return Attempt::Again(
                    format!("Web Push service unreachable: {}", e.without_url()),
                    None,
                );
            }
        };
        let status = answer.status().as_u16();
        let after = retry_after(&answer);
        if answer.status().is_success() {
            return Attempt::Done(Sent::Accepted);
        }
        let why = format!("Web Push {status}");
        if webpush::dead_subscription(status) {
            Attempt::Done(Sent::DeadToken)
        } else if status == 401 || status == 403 {
            Attempt::Reauthorize(why)
        } else if status == 429 || status >= 500 {
            Attempt::Again(why, after)
        } else {
            Attempt::Done(Sent::Failed(why))
        }
    }

    /// A Web Push: the subscription read and checked, the payload encrypted once, then sent
    /// with retries.
    async fn webpush(&self, key: &WebPush, token: &str, push: &VendorPush) -> Sent {
        let subscription = match webpush::subscription(token) {
            Ok(s) => s,
            // It can never be delivered: forgotten like a token the service reports dead.
            Err(why) => {
                tracing::warn!(error = %why, "a device's Web Push subscription is unusable");
                return Sent::DeadToken;
            }
        };
        if !self.settings.webpush_allow_private && subscription.names_private_address() {
            return Sent::Failed("the Web Push endpoint names a private address".into());
        }
        let payload = webpush::payload(push).to_string().into_bytes();
        let body = match subscription.encrypt(payload) {
            Ok(body) => body,
            Err(why) => return Sent::Failed(format!("Web Push encryption: {why}")),
        };
        self.with_retries(|fresh| self.webpush_once(key, &subscription, &body, push, fresh))
            .await
    }
}

/// Resolves names to their public addresses only (see [`webpush::is_public`]): a Web Push
/// endpoint cannot make the server reach into its own network.
struct PublicOnly;

/// [`PublicOnly`]'s refusal of a name without a public address.
#[derive(Debug)]
struct NotPublic(String);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} has no public address", self.0)
    }
}

impl std::error::Error for NotPublic {}

/// Whether a request failed because [`PublicOnly`] refused its host (not worth retrying).
fn refused_as_private(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<NotPublic>() {
            return true;
        }
        source = err.source();
    }
    false
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| webpush::is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn retry_after(answer: &reqwest::Response) -> Option<Duration> {
    answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[async_trait]
impl VendorChannels for VendorClients {
    async fn notifiers(&self, app: &AppId) -> Result<Vec<Notifier>, RepoError> {
        Ok(self
            .loaded(app)
            .await?
            .iter()
            .map(|(n, _)| n.clone())
            .collect())
    }

    async fn send(&self, app: &AppId, notifier: &Notifier, token: &str, push: &VendorPush) -> Sent {
        let loaded = match self.loaded(app).await {
            Ok(l) => l,
            Err(e) => return Sent::Unavailable(format!("credentials: {:#}", e.0)),
        };
        let Some((_, key)) = loaded.iter().find(|(n, _)| n.provider == notifier.provider) else {
            return Sent::Failed(format!("no {} credentials", notifier.provider.name()));
        };
        let Ok(_permit) = self.in_flight.acquire().await else {
            return Sent::Unavailable("shutting down".into());
        };
        match key {
            Loaded::Apns(key) => {
                self.with_retries(|fresh| self.apns_once(key, token, push, fresh))
                    .await
            }
            Loaded::Fcm(account) => {
                self.with_retries(|fresh| self.fcm_once(account, token, push, fresh))
                    .await
            }
            Loaded::WebPush(key) => self.webpush(key, token, push).await,
        }
    }
}
