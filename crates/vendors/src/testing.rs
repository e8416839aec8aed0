//! An in-process stand-in for APNs, FCM and Web Push services: HTTPS (a self-signed certificate, HTTP/2 by
//! ALPN) on a free port of 127.0.0.1, recording every request and answering 200 unless
//! told otherwise. `/token` is an OAuth2 token endpoint; every other path is a push.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// One request the mock received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// `HTTP/2.0` or `HTTP/1.1`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy), and as bytes (an encrypted Web Push).
    pub body: String,
    pub bytes: Vec<u8>,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

/// An answer to give a push: status, extra headers, body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Answers for the next pushes, in order; then 200.
    scripted: VecDeque<Answer>,
    /// Pushes answered 503 while set (a provider that is down).
    down: bool,
}

/// The mock provider; stops when dropped.
pub struct MockVendor {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The certificate to trust (PEM), for `TIDINGS_PUSH_EXTRA_CA`.
    pub ca_pem: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

static TOKENS: AtomicU64 = AtomicU64::new(0);

impl MockVendor {
    /// # Errors
    /// When the certificate or the port cannot be had.
    pub async fn start() -> anyhow::Result<Self> {
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".into()])?;
        let ca_pem = certified.cert.pem();
        let key = pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("https://{}", listener.local_addr()?);
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, state) = (acceptor.clone(), shared.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, hyper::Error>(answer(&state, req).await) }
                    });
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Ok(Self {
            url,
            ca_pem,
            state,
            task,
        })
    }

    /// Every request so far (token requests included).
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The pushes so far (not token requests).
    pub fn pushes(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path != "/token")
            .collect()
    }

    /// How many pushes (not token requests) have arrived.
    pub fn push_count(&self) -> usize {
        self.lock()
            .received
            .iter()
            .filter(|r| r.path != "/token")
            .count()
    }

    /// Answers the next pushes with these, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.lock().scripted.extend(answers);
    }

    /// While `down`, every push is answered 503.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for MockVendor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(state: &Mutex<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let received = Received {
        at: std::time::Instant::now(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        version: format!("{:?}", parts.version),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    };
    let is_token = received.path == "/token";
    let answer = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.received.push(received);
        if is_token {
            let n = TOKENS.fetch_add(1, Ordering::Relaxed);
            Answer::status(
                200,
                &format!(
                    r#"{{"access_token":"mock-token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
                ),
            )
        } else if state.down {
            Answer::status(503, r#"{"reason":"ServiceUnavailable"}"#)
        } else {
            state
                .scripted
                .pop_front()
                .unwrap_or_else(|| Answer::status(200, r#"{"name":"projects/p/messages/1"}"#))
        }
    };
    let mut response = Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    response
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(answer.body)))
        .unwrap_or_default()
}

/// A fresh P-256 private key in PKCS#8 PEM, as Apple's `.p8` files are, and its public key
/// (PEM) to check signatures with.
///
/// # Errors
/// When the key cannot be made.
pub fn apns_key() -> anyhow::Result<(String, String)> {
    let key = rcgen::KeyPair::generate()?;
    Ok((key.serialize_pem(), key.public_key_pem()))
}

/// A fresh 2048-bit RSA private key in PKCS#8 PEM, as service account files carry.
///
/// # Errors
/// When the key cannot be made.
pub fn rsa_key() -> anyhow::Result<String> {
    use aws_lc_rs::encoding::AsDer as _;
    use base64::Engine as _;
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let der = key.as_der().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    ))
}

/// A browser's side of a Web Push subscription: the JSON it binds as its device's vendor
/// token, and what it needs to read the pushes sent to it.
pub struct Browser {
    /// `{"endpoint", "keys": {"p256dh", "auth"}}`, as `PushSubscription.toJSON()` gives it.
    pub subscription: String,
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    /// A fresh subscription at `endpoint`.
    ///
    /// # Errors
    /// When the keys cannot be made.
    pub fn subscribe(endpoint: &str) -> anyhow::Result<Self> {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        use p256::pkcs8::DecodePrivateKey as _;
        let fresh = || -> anyhow::Result<p256::SecretKey> {
            Ok(p256::SecretKey::from_pkcs8_pem(
                &rcgen::KeyPair::generate()?.serialize_pem(),
            )?)
        };
        let secret = fresh()?;
        // 16 random bytes: half of another fresh key.
        let auth: [u8; 16] = fresh()?.to_bytes()[..16].try_into()?;
        let p256dh = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
        let subscription = serde_json::json!({"endpoint": endpoint, "expirationTime": null,
            "keys": {"p256dh": p256dh, "auth": URL_SAFE_NO_PAD.encode(auth)}});
        Ok(Self {
            subscription: subscription.to_string(),
            secret,
            auth,
        })
    }

    /// The payload of a push sent to this subscription, decrypted.
    ///
    /// # Errors
    /// When it was not encrypted for this subscription.
    pub fn read(&self, push: &Received) -> anyhow::Result<serde_json::Value> {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(push.bytes.clone(), &self.secret, &auth)
            .map_err(|e| anyhow::anyhow!("not encrypted for this subscription: {e}"))?;
        Ok(serde_json::from_slice(&plain)?)
    }
}

/// A fresh VAPID private key, as the base64url of its 32 bytes (`web-push
/// generate-vapid-keys` prints them so).
///
/// # Errors
/// When the key cannot be made.
pub fn vapid_key() -> anyhow::Result<String> {
    use base64::Engine as _;
    use p256::pkcs8::DecodePrivateKey as _;
    let key = p256::SecretKey::from_pkcs8_pem(&rcgen::KeyPair::generate()?.serialize_pem())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_bytes()))
}
