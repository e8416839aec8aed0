//! Rate limits of one node, per app: logins, registrations, sends, WebSocket connections.
//!
//! Rates are GCRA buckets from the `governor` crate (a burst, refilled at a steady rate).
//! Failed logins are different: they *back off* rather than refill — after
//! [`LimitSettings::login_free_failures`] failures a name (or an IP) must wait 1 s, then 2 s,
//! 4 s … (at most [`LimitSettings::login_backoff_max`]) after each further failure, and a
//! success clears the name's count. Both are checked before the password is hashed, so a
//! flood from one IP is stopped before it reaches the shared bcrypt pool and other IPs'
//! logins do not queue behind it.
//!
//! Every refusal is [`Refused`] with the time after which a retry may succeed; the surfaces
//! answer it as HTTP 429, code [`crate::maxim::error::code::RATE_LIMITED`], with `Retry-After`.
//! State is per node (a cluster multiplies the allowance by its node count) and is swept
//! of idle keys every minute by the server ([`RateLimits::sweep`]), so it stays
//! proportional to recent traffic.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};
use tidings_kernel::{Actor, AppId, Principal, UserId};
use tidings_users::UserError;

/// A steady rate (`per` a second, or an hour where so named) after a `burst`. Written
/// `per,burst` in the configuration (`50,200`), or `per` alone for a burst of the same size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per: u32,
    pub burst: u32,
}

impl Rate {
    pub const fn new(per: u32, burst: u32) -> Self {
        Self { per, burst }
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{part:?} is not a positive whole number"))
        };
        match raw.split_once(',') {
            Some((per, burst)) => Ok(Self::new(number(per)?, number(burst)?)),
            None => number(raw).map(|per| Self::new(per, per)),
        }
    }
}

/// The limits.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// Login attempts per client IP and app, per second.
    pub logins_per_ip: Rate,
    /// Failed logins a name or an IP may have before backing off.
    pub login_free_failures: u32,
    /// The longest wait a backing-off name or IP is given.
    pub login_backoff_max: Duration,
    /// Registrations per client IP and app, per hour.
    pub registrations_per_ip: Rate,
    /// Sends per user (REST and WebSocket together), per second.
    pub sends_per_user: Rate,
    /// Sends per app, per second.
    pub sends_per_app: Rate,
    /// WebSocket connections one user may hold on this node.
    pub ws_per_user: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            logins_per_ip: Rate::new(2, 20),
            login_free_failures: 5,
            login_backoff_max: Duration::from_secs(15 * 60),
            registrations_per_ip: Rate::new(600, 100),
            sends_per_user: Rate::new(50, 200),
            sends_per_app: Rate::new(20_000, 50_000),
            ws_per_user: 32,
        }
    }
}

/// A refusal: retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
    pub what: &'static str,
}

impl Refused {
    /// The `Retry-After` in whole seconds, rounded up (a client that waits that long is not
    /// refused again), at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// An IP as a rate-limit key: IPv6 addresses by their /64, which one client usually holds
/// whole (so rotating addresses inside it gains nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IpKey {
    V4(u32),
    V6(u64),
}

impl From<IpAddr> for IpKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => Self::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

type Keyed<K> = DefaultKeyedRateLimiter<K>;

pub struct RateLimits {
    settings: LimitSettings,
    logins: Keyed<(AppId, IpKey)>,
    registrations: Keyed<(AppId, IpKey)>,
    user_sends: Keyed<(AppId, UserId)>,
    app_sends: Keyed<AppId>,
    /// Keyed by a hash of the case-folded name, so that a client cannot make an entry as
    /// large as the names it invents.
    name_failures: Backoff<(AppId, u64)>,
    names: std::hash::RandomState,
    ip_failures: Backoff<(AppId, IpKey)>,
}

/// How often [`RateLimits::sweep`] should run.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn quota(rate: Rate, period: Duration) -> Quota {
    let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let each = period / rate.per.max(1);
    Quota::with_period(each.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl RateLimits {
    pub fn new(settings: LimitSettings) -> Self {
        let second = Duration::from_secs(1);
        Self {
            logins: Keyed::keyed(quota(settings.logins_per_ip, second)),
            registrations: Keyed::keyed(quota(
                settings.registrations_per_ip,
                Duration::from_secs(3600),
            )),
            user_sends: Keyed::keyed(quota(settings.sends_per_user, second)),
            app_sends: Keyed::keyed(quota(settings.sends_per_app, second)),
            name_failures: Backoff::default(),
            names: std::hash::RandomState::new(),
            ip_failures: Backoff::default(),
            settings,
        }
    }

    /// Runs a login `attempt` by `name` (username, login name or user id) from `ip` under the
    /// login limits: refused before it starts (so before any password is hashed) while the
    /// name or the IP backs off or the IP is over its rate; a wrong name or password then
    /// counts as a failure of both, a success clears the name's failures. Every surface's
    /// login goes through here.
    ///
    /// # Errors
    /// The outer error when the attempt is refused; the attempt's own result inside.
    pub async fn login<T>(
        &self,
        app: &AppId,
        ip: IpAddr,
        name: &str,
        attempt: impl Future<Output = Result<T, UserError>>,
    ) -> Result<Result<T, UserError>, Refused> {
        self.login_attempt(app, ip, name)?;
        let result = attempt.await;
        match &result {
            Ok(_) => self.login_succeeded(app, name),
            Err(UserError::WrongPassword | UserError::UserNotFound) => {
                self.login_failed(app, ip, name);
            }
            Err(_) => {}
        }
        Ok(result)
    }

    /// Before a login attempt: refused while the name or the IP backs off, or the IP is over
    /// its rate.
    fn login_attempt(&self, app: &AppId, ip: IpAddr, name: &str) -> Result<(), Refused> {
        let (free, max) = (
            self.settings.login_free_failures,
            self.settings.login_backoff_max,
        );
        let name_key = self.name_key(app, name);
        let ip_key = (app.clone(), IpKey::from(ip));
        let refused = |retry_after| Refused {
            retry_after,
            what: "too many failed logins: wait before trying again",
        };
        self.name_failures
            .check(&name_key, free, max)
            .map_err(refused)?;
        self.ip_failures
            .check(&ip_key, free, max)
            .map_err(refused)?;
        take(&self.logins, &ip_key, "too many logins from this address")
    }

    /// After a login that failed on its credentials.
    fn login_failed(&self, app: &AppId, ip: IpAddr, name: &str) {
        self.name_failures.fail(self.name_key(app, name));
        self.ip_failures.fail((app.clone(), IpKey::from(ip)));
    }

    /// After a successful login: the name's failures are forgotten (the IP's are not, or one
    /// valid account would reset an attacker's count).
    fn login_succeeded(&self, app: &AppId, name: &str) {
        self.name_failures.clear(&self.name_key(app, name));
    }

    fn name_key(&self, app: &AppId, name: &str) -> (AppId, u64) {
        use std::hash::BuildHasher as _;
        (app.clone(), self.names.hash_one(name.to_lowercase()))
    }

    /// Before an open registration from `ip`.
    ///
    /// # Errors
    /// When the IP is over its rate.
    pub fn registration(&self, app: &AppId, ip: IpAddr) -> Result<(), Refused> {
        let key = (app.clone(), IpKey::from(ip));
        take(
            &self.registrations,
            &key,
            "too many registrations from this address",
        )
    }

    /// Before a send (REST or WebSocket): the app's rate, and the sending user's when the
    /// caller is a user (an admin sending for users is held to the app's rate only).
    ///
    /// # Errors
    /// When the app or the user is over its rate.
    pub fn send(&self, principal: &Principal) -> Result<(), Refused> {
        if let Actor::User { user, .. } = principal.actor {
            take(
                &self.user_sends,
                &(principal.app.clone(), user),
                "sending too fast",
            )?;
        }
        take(
            &self.app_sends,
            &principal.app,
            "the app is sending too fast",
        )
    }

    /// Whether a user holding `open` connections on this node may open another.
    ///
    /// # Errors
    /// At the cap.
    pub fn ws_connection(&self, open: usize) -> Result<(), Refused> {
        if open >= self.settings.ws_per_user {
            return Err(Refused {
                retry_after: Duration::from_secs(10),
                what: "too many WebSocket connections for this user",
            });
        }
        Ok(())
    }

    /// Drops idle keys: buckets back at their full burst, failures older than the longest
    /// backoff. The server calls it every [`SWEEP_EVERY`], off the request path.
    pub fn sweep(&self) {
        self.logins.retain_recent();
        self.registrations.retain_recent();
        self.user_sends.retain_recent();
        self.app_sends.retain_recent();
        let max = self.settings.login_backoff_max;
        self.name_failures.forget_older_than(max);
        self.ip_failures.forget_older_than(max);
    }
}

fn take<K: Hash + Eq + Clone>(
    limiter: &Keyed<K>,
    key: &K,
    what: &'static str,
) -> Result<(), Refused> {
    limiter.check_key(key).map_err(|not_until| Refused {
        retry_after: not_until.wait_time_from(limiter.clock().now()),
        what,
    })
}

/// Failure counts that back off: after `free` failures, each further attempt must wait
/// 2^(failures − free) seconds after the last failure, at most `max`.
struct Backoff<K> {
    failures: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K> Default for Backoff<K> {
    fn default() -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Backoff<K> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (u32, Instant)>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check(&self, key: &K, free: u32, max: Duration) -> Result<(), Duration> {
        let Some(&(count, last)) = self.lock().get(key) else {
            return Ok(());
        };
        if count < free {
            return Ok(());
        }
        let wait = Duration::from_secs(1u64 << (count - free).min(20)).min(max);
        match wait.checked_sub(last.elapsed()) {
            Some(left) if !left.is_zero() => Err(left),
            _ => Ok(()),
        }
    }

    fn fail(&self, key: K) {
        let mut failures = self.lock();
        let entry = failures.entry(key).or_insert((0, Instant::now()));
        *entry = (entry.0.saturating_add(1), Instant::now());
    }

    fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    fn forget_older_than(&self, age: Duration) {
        self.lock().retain(|_, (_, last)| last.elapsed() < age);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A login attempt that answers `result` (what the users service would).
    async fn attempt(
        limits: &RateLimits,
        app: &AppId,
        ip: IpAddr,
        name: &str,
        result: Result<(), UserError>,
    ) -> Result<Result<(), UserError>, Refused> {
        limits.login(app, ip, name, async { result }).await
    }

    #[tokio::test]
    async fn failed_logins_back_off_after_the_free_ones_and_a_success_clears_the_name()
    -> Result<(), tidings_kernel::InvalidAppId> {
        let app = AppId::parse("testapp")?;
        let limits = RateLimits::new(LimitSettings {
            logins_per_ip: Rate::new(1000, 1000),
            ..LimitSettings::default()
        });
        let ip = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..5 {
            let failed = attempt(&limits, &app, ip, "Ann", Err(UserError::WrongPassword)).await;
            assert!(matches!(failed, Ok(Err(UserError::WrongPassword))));
        }
        let other_ip = IpAddr::from([192, 0, 2, 2]);
        let refused = attempt(&limits, &app, other_ip, "ann", Ok(())).await;
        assert!(refused.is_err_and(|r| r.retry_after <= Duration::from_secs(1)));
        // The IP backs off too, for any name.
        assert!(attempt(&limits, &app, ip, "bob", Ok(())).await.is_err());
        // Once the wait is over, a success clears the name's failures.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let third_ip = IpAddr::from([192, 0, 2, 3]);
        assert!(matches!(
            attempt(&limits, &app, third_ip, "ann", Ok(())).await,
            Ok(Ok(()))
        ));
        let after = attempt(
            &limits,
            &app,
            third_ip,
            "ann",
            Err(UserError::WrongPassword),
        )
        .await;
        assert!(
            after.is_ok(),
            "one failure after a success is not backed off"
        );
        Ok(())
    }

    #[test]
    fn a_user_over_the_send_rate_is_refused_and_other_users_are_not()
    -> Result<(), tidings_kernel::InvalidAppId> {
        let app = AppId::parse("testapp")?;
        let limits = RateLimits::new(LimitSettings {
            sends_per_user: Rate::new(1, 3),
            ..LimitSettings::default()
        });
        let as_user = |id| Principal {
            app: app.clone(),
            actor: Actor::User {
                user: UserId(id),
                device: tidings_kernel::DeviceSn(1),
            },
        };
        for _ in 0..3 {
            assert!(limits.send(&as_user(1)).is_ok());
        }
        let refused = limits.send(&as_user(1));
        assert!(refused.is_err_and(|r| r.retry_after > Duration::ZERO));
        assert!(limits.send(&as_user(2)).is_ok());
        Ok(())
    }

    #[test]
    fn rates_are_written_per_then_burst() {
        assert_eq!("50,200".parse(), Ok(Rate::new(50, 200)));
        assert_eq!("7".parse(), Ok(Rate::new(7, 7)));
        assert!("0,3".parse::<Rate>().is_err());
        assert!("x".parse::<Rate>().is_err());
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_key() {
        let a: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8::ffff:1".parse().unwrap_or(IpAddr::from([0; 4]));
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(IpKey::from(a), IpKey::from(b));
        assert_ne!(IpKey::from(a), IpKey::from(c));
    }
}
