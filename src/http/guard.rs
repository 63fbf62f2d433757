//! Password guessing: a throttle per (account, address), a slower brake per account that
//! never holds back an address without failures, and a small fixed pool of threads for the
//! Argon2 work (checks and new hashes) so a storm of logins neither piles up work nor memory.
//! Owns no accounts and no sessions; `auth.rs` asks it before and tells it after a check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures from one address on one account before it must wait.
const FREE: u32 = 5;
/// Failures are forgotten after this long without another.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Longest wait of one (account, address).
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The per-account brake: guesses from addresses that already failed, across all of them,
/// as a token bucket of `BRAKE_BURST` refilled one per `BRAKE_EVERY`.
const BRAKE_BURST: f64 = 20.0;
const BRAKE_EVERY: Duration = Duration::from_secs(30);
/// Entries kept before old ones are swept.
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
struct Pair {
    failures: u32,
    /// Checks started and not yet finished: counted as failures until they succeed, so
    /// parallel guesses cannot slip past the limit.
    pending: u32,
    last: Option<Instant>,
}

struct Brake {
    tokens: f64,
    at: Instant,
}

#[derive(Default)]
struct Counters {
    pairs: HashMap<(String, IpAddr), Pair>,
    accounts: HashMap<String, Brake>,
}

/// The login throttle.
#[derive(Default)]
pub struct LoginThrottle {
    counters: Mutex<Counters>,
}

/// One admitted login attempt; counted as a failure unless `succeeded` is called.
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    key: (String, IpAddr),
    done: bool,
}

fn wait(failures: u32) -> Duration {
    if failures < FREE {
        return Duration::ZERO;
    }
    let secs = 30u64.saturating_mul(1 << (failures - FREE).min(10));
    Duration::from_secs(secs).min(MAX_WAIT)
}

impl LoginThrottle {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit one attempt on `account` from `ip`, or None when it must wait (429).
    pub fn begin(&self, account: &str, ip: IpAddr) -> Option<Attempt<'_>> {
        let key = (account.to_lowercase(), ip);
        let now = Instant::now();
        let mut c = self.counters();
        if c.pairs.len() > MAX_ENTRIES {
            c.pairs
                .retain(|_, p| p.pending > 0 || p.last.is_some_and(|l| l.elapsed() < WINDOW));
            c.accounts
                .retain(|_, b| b.at.elapsed() < BRAKE_EVERY.mul_f64(BRAKE_BURST));
        }
        let pair = c.pairs.entry(key.clone()).or_default();
        if pair.last.is_some_and(|l| l.elapsed() > WINDOW) && pair.pending == 0 {
            pair.failures = 0;
        }
        let counted = pair.failures + pair.pending;
        if pair
            .last
            .is_some_and(|l| counted >= FREE && l.elapsed() < wait(counted))
        {
            return None;
        }
        if counted > 0 {
            // An address that failed before also draws on the account's brake; one that
            // never failed does not, so the owner is not locked out by strangers.
            let brake = c.accounts.entry(key.0.clone()).or_insert(Brake {
                tokens: BRAKE_BURST,
                at: now,
            });
            let refill = brake.at.elapsed().as_secs_f64() / BRAKE_EVERY.as_secs_f64();
            brake.tokens = (brake.tokens + refill).min(BRAKE_BURST);
            brake.at = now;
            if brake.tokens < 1.0 {
                return None;
            }
            brake.tokens -= 1.0;
        }
        let pair = c.pairs.entry(key.clone()).or_default();
        pair.pending += 1;
        pair.last = Some(now);
        Some(Attempt {
            throttle: self,
            key,
            done: false,
        })
    }
}

impl Attempt<'_> {
    /// The password was right: this address starts afresh on this account.
    pub fn succeeded(mut self) {
        self.done = true;
        self.throttle.counters().pairs.remove(&self.key);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut c = self.throttle.counters();
        if let Some(p) = c.pairs.get_mut(&self.key) {
            p.pending = p.pending.saturating_sub(1);
            p.failures = p.failures.saturating_add(1);
            p.last = Some(Instant::now());
        }
    }
}

/// Argon2 work for the pool.
enum Job {
    /// Check a password against a PHC string (None: an unknown name).
    Verify(String, Option<String>, tokio::sync::oneshot::Sender<bool>),
    /// Hash a new password.
    Hash(String, tokio::sync::oneshot::Sender<Result<String, String>>),
}

/// An argon2id hash of a random string, so unknown names cost as much as wrong passwords.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::auth::hash_password(&crate::auth::new_token()).unwrap_or_default()
});

/// A fixed set of threads that check passwords: Argon2 takes ~19 MiB per check, so checks
/// never run more than `THREADS` at once and the memory stays with those threads.
pub struct PasswordChecker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl PasswordChecker {
    const THREADS: usize = 2;

    pub fn start() -> Arc<PasswordChecker> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..Self::THREADS {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("hallq-password-{n}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Err(_) => return,
                            Ok(Job::Verify(password, phc, reply)) => {
                                // Unknown names cost a check too, so timing does not tell
                                // which exist.
                                let phc = phc.as_deref().unwrap_or(DUMMY_HASH.as_str());
                                let _ = reply.send(crate::auth::verify_password_in(
                                    &password,
                                    phc,
                                    &mut memory,
                                ));
                            }
                            Ok(Job::Hash(password, reply)) => {
                                let _ = reply.send(crate::auth::hash_password(&password));
                            }
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password thread");
            }
        }
        Arc::new(PasswordChecker {
            jobs: Mutex::new(tx),
        })
    }

    /// Whether `password` matches the stored PHC string (None: an unknown name, checked
    /// against a dummy all the same); waits for a free checker.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Job::Verify(
                password.to_string(),
                phc.map(str::to_string),
                reply,
            ));
        sent.is_ok() && answer.await.unwrap_or(false)
    }

    /// A PHC string for a new `password`, made on the pool; waits for a free thread.
    pub async fn hash(&self, password: &str) -> Result<String, String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Job::Hash(password.to_string(), reply))
            .map_err(|_| "the password threads have stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the password threads have stopped".to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn five_guesses_per_address_then_a_wait_even_in_parallel() {
        let t = LoginThrottle::default();
        // All started before any finished: the sixth is refused all the same.
        let started: Vec<_> = (0..10)
            .filter_map(|_| t.begin("clerk1", ip("10.0.0.66")))
            .collect();
        assert_eq!(started.len(), 5);
        drop(started);
        assert!(t.begin("clerk1", ip("10.0.0.66")).is_none());
        // The owner at the console, and another account from the same NAT, are not held back.
        let owner = t.begin("clerk1", ip("10.0.0.2")).expect("owner admitted");
        owner.succeeded();
        assert!(t.begin("clerk2", ip("10.0.0.66")).is_some());
    }

    #[test]
    fn the_account_brake_spares_addresses_without_failures() {
        let t = LoginThrottle::default();
        let mut failed = 0;
        // Many addresses, four guesses each: the first of each is free, the rest draw on
        // the brake until it is empty.
        for n in 0..40 {
            for _ in 0..4 {
                if let Some(a) = t.begin("admin", ip(&format!("10.1.0.{n}"))) {
                    drop(a);
                    failed += 1;
                }
            }
        }
        assert_eq!(failed, 40 + BRAKE_BURST as usize);
        assert!(t.begin("admin", ip("10.1.0.1")).is_none(), "brake holds");
        assert!(
            t.begin("admin", ip("10.0.0.2")).is_some(),
            "a clean address is never braked"
        );
    }

    #[tokio::test]
    async fn the_checker_answers() {
        let c = PasswordChecker::start();
        let h = crate::auth::hash_password("correct horse").expect("hashes");
        assert!(c.verify("correct horse", Some(&h)).await);
        assert!(!c.verify("wrong horse", Some(&h)).await);
        assert!(!c.verify("correct horse", None).await);
        let made = c.hash("battery staple").await.expect("hashed");
        assert!(c.verify("battery staple", Some(&made)).await);
    }
}
