//! The single writer. One thread owns the `Hall` and the write connection; requests come in
//! over a channel with a oneshot for the reply. Each batch of commands is one transaction:
//! decide, commit, then broadcast, then answer. Nothing is broadcast or acknowledged that
//! was not committed, and ticket numbers are gap-free because only this thread assigns them.

use std::sync::Arc;
use std::thread;

use jiff::Timestamp;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::clock::Clock;
use crate::domain::accounts::{AccountCommand, AccountReply};
use crate::domain::audience::{Audience, PublicOptions, frame_json};
use crate::domain::event::rfc3339;
use crate::domain::hall::{Actor, BookingView, Command, Hall, Reply, local_day};
use crate::domain::view::{IssuedTicket, WindowView};
use crate::domain::{DomainError, EventRecord, Plan, TicketId};
use crate::read_model::{Publisher, Reader};
use crate::store::{Store, StoreError};

/// Requests taken into one transaction at most.
const BATCH: usize = 256;
/// Events a subscriber may fall behind before it is sent a fresh snapshot.
pub const BROADCAST_CAPACITY: usize = 4096;

/// A committed event, serialized once per audience for every subscriber.
#[derive(Debug)]
pub struct Frame {
    pub seq: u64,
    /// The public frame; `None` when the public is not sent this event.
    pub public: Option<String>,
    /// The staff frame; `None` when staff streams are not sent this event.
    pub staff: Option<String>,
    /// When its transaction committed (fan-out latency is measured from here).
    pub committed: std::time::Instant,
    /// How long its transaction took to commit (shared by the frames of one batch).
    pub commit_time: std::time::Duration,
}

impl Frame {
    /// The text `audience` is sent for this event, if any.
    pub fn for_audience(&self, audience: Audience) -> Option<&String> {
        match audience {
            Audience::Public => self.public.as_ref(),
            Audience::Staff => self.staff.as_ref(),
        }
    }
}

/// How the engine fans out; the defaults are the `[events]` defaults.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Events a subscriber may fall behind before it is sent a fresh snapshot.
    pub broadcast_capacity: usize,
    /// What public frames may show.
    pub public: PublicOptions,
    /// Which notifications the outbox is given (`[[notify]]`; none by default).
    pub notify: crate::domain::notify::NotifyPlan,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            broadcast_capacity: BROADCAST_CAPACITY,
            public: PublicOptions::default(),
            notify: Default::default(),
        }
    }
}

/// Stored events looked back over at start to find each audience's last seq.
const PREV_LOOKBACK: usize = 4096;

/// Why the engine could not carry out a command.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
}

/// What a successful command answers.
#[derive(Debug, Clone)]
pub enum Outcome {
    Ticket(Box<IssuedTicket>),
    Window(Box<WindowView>),
    Rated {
        ticket: TicketId,
        follow_up: Option<i64>,
    },
    FollowUp(i64),
    /// APPOINTMENTS HOOK (issue 15): a booking; `created` false for an integrator's repeat.
    Booking {
        booking: Box<BookingView>,
        created: bool,
    },
    /// APPOINTMENTS HOOK (issue 15): the ticket a check-in issued, with its booking.
    CheckedIn {
        ticket: Box<IssuedTicket>,
        booking: Box<BookingView>,
    },
    /// APPOINTMENTS HOOK (issue 15): the window after a 补办件 finish, and the return booked.
    Returned {
        window: Box<WindowView>,
        booking: Box<BookingView>,
    },
    /// An account, device or session command (domain/accounts.rs).
    Account(Box<AccountReply>),
}

enum Request {
    Command {
        actor: Actor,
        cmd: Command,
        reply: oneshot::Sender<Result<Outcome, EngineError>>,
    },
    /// An account, device or session command: decided against its stored row, read first.
    Account {
        actor: Actor,
        cmd: Box<AccountCommand>,
        reply: oneshot::Sender<Result<Outcome, EngineError>>,
    },
    Tick,
    /// Readiness: the writer thread answers with the last committed seq.
    Ping(oneshot::Sender<u64>),
}

/// Cheap handle to the engine; clone freely.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Request>,
    events: broadcast::Sender<Arc<Frame>>,
    clock: Arc<dyn Clock>,
    view: Reader,
    /// Read-only store connections: earlier days' tickets and stored ratings (`citizen`).
    archive: crate::store::Reader,
    public: PublicOptions,
}

impl EngineHandle {
    /// Carry out one command; resolves once it is committed (or refused).
    pub async fn execute(&self, actor: Actor, cmd: Command) -> Result<Outcome, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Command { actor, cmd, reply })
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Carry out an account, device or session command (secrets arrive hashed: Argon2 runs
    /// before, off this thread); resolves once it is committed (or refused).
    pub async fn account(
        &self,
        actor: Actor,
        cmd: AccountCommand,
    ) -> Result<AccountReply, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Account {
                actor,
                cmd: Box::new(cmd),
                reply,
            })
            .await
            .map_err(|_| EngineError::Stopped)?;
        match rx.await.map_err(|_| EngineError::Stopped)?? {
            Outcome::Account(r) => Ok(*r),
            _ => Err(EngineError::Stopped),
        }
    }

    /// Read the hall as last committed, on the caller's thread: `f(hall, now, last_seq)`.
    /// Never waits for the writer; a command's effects show once its reply has come.
    pub fn read<T>(&self, f: impl FnOnce(&Hall, Timestamp, u64) -> T) -> T {
        let view = self.view.current();
        f(&view.hall, self.clock.now(), view.seq)
    }

    /// Subscribe to committed events. Subscribe before taking a snapshot.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.events.subscribe()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Whether the writer thread is alive and taking requests: its last committed seq.
    pub async fn ping(&self) -> Result<u64, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Ping(reply))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// What public frames and snapshots may show.
    pub fn public_options(&self) -> PublicOptions {
        self.public
    }

    /// Let time pass in the hall (day rollover) without a command.
    pub async fn tick(&self) {
        let _ = self.tx.send(Request::Tick).await;
    }
}

/// Start the engine on its own thread over an opened store, with default options.
pub fn start(
    plan: Arc<Plan>,
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<EngineHandle, StoreError> {
    start_with(plan, store, clock, EngineOptions::default())
}

/// Start the engine on its own thread over an opened store.
pub fn start_with(
    plan: Arc<Plan>,
    store: Store,
    clock: Arc<dyn Clock>,
    opts: EngineOptions,
) -> Result<EngineHandle, StoreError> {
    let id_key = store.id_hash_key().to_string();
    let archive = store.reader();
    let now = clock.now();
    let restored = store.restore(local_day(&plan, now), rated_since(&plan, now))?;
    let hall = Hall::restore(
        Arc::clone(&plan),
        id_key.clone().into_bytes(),
        now,
        restored,
    );
    let last_seq = store.last_seq()?;
    let (publisher, view) = Publisher::new(&hall, last_seq);
    let mut prev = [0u64; 2];
    for a in [Audience::Public, Audience::Staff] {
        prev[a as usize] = store.last_matching(
            |r| crate::domain::audience::carries(a, &r.event),
            PREV_LOOKBACK,
        )?;
    }
    let (tx, rx) = mpsc::channel(BATCH * 4);
    let (events, _) = broadcast::channel(opts.broadcast_capacity.max(1));
    let mut writer = Writer {
        plan,
        id_key: id_key.into_bytes(),
        store,
        hall: Some(hall),
        last_seq,
        prev,
        public: opts.public,
        events: events.clone(),
        clock: Arc::clone(&clock),
        publisher,
        notifier: crate::domain::notify::Notifier::new(opts.notify),
    };
    // Clear any earlier day left open before the first request.
    writer.run_batch(vec![Request::Tick]);
    thread::Builder::new()
        .name("hallq-engine".into())
        .spawn(move || writer.run(rx))
        .map_err(|e| StoreError::Other(format!("cannot start the engine thread: {e}")))?;
    Ok(EngineHandle {
        tx,
        events,
        clock,
        view,
        archive,
        public: opts.public,
    })
}

struct Writer {
    plan: Arc<Plan>,
    id_key: Vec<u8>,
    store: Store,
    /// `None` while the in-memory hall could not be rebuilt after a failed commit.
    hall: Option<Hall>,
    last_seq: u64,
    /// Per audience (indexed by `Audience as usize`): the seq of the last event it was sent.
    prev: [u64; 2],
    public: PublicOptions,
    events: broadcast::Sender<Arc<Frame>>,
    clock: Arc<dyn Clock>,
    publisher: Publisher,
    /// Derives each batch's notifications (written in the batch's transaction).
    notifier: crate::domain::notify::Notifier,
}

type Pending = (
    oneshot::Sender<Result<Outcome, EngineError>>,
    Result<Outcome, EngineError>,
);

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            self.run_batch(batch);
        }
        tracing::info!("engine stopped");
    }

    /// Rebuild the hall from the database (after a failed commit, or at start).
    fn reload(&mut self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let restored = self
            .store
            .restore(local_day(&self.plan, now), rated_since(&self.plan, now))?;
        self.hall = Some(Hall::restore(
            Arc::clone(&self.plan),
            self.id_key.clone(),
            now,
            restored,
        ));
        if let Some(hall) = &self.hall {
            self.publisher.publish(hall, self.last_seq);
        }
        self.catch_up();
        Ok(())
    }

    /// Events another process (the CLI) committed after ours: published and sent on in
    /// order, so that every stream still sees each seq and snapshots stay exact.
    fn catch_up(&mut self) {
        let foreign = match self.store.events_after(self.last_seq) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot read events committed by another process");
                return;
            }
        };
        let Some(last) = foreign.last().map(|r| r.seq) else {
            return;
        };
        self.last_seq = last;
        if let Some(hall) = &self.hall {
            self.publisher.publish(hall, last);
        }
        self.send_frames(
            &foreign,
            std::time::Instant::now(),
            std::time::Duration::ZERO,
        );
    }

    /// Project and broadcast committed records, in seq order.
    fn send_frames<'r>(
        &mut self,
        records: impl IntoIterator<Item = &'r EventRecord>,
        committed: std::time::Instant,
        commit_time: std::time::Duration,
    ) {
        for rec in records {
            let public = self.project(rec, Audience::Public);
            let staff = self.project(rec, Audience::Staff);
            // Every seq is sent, even one no audience carries: a stream proves it missed
            // nothing by seeing each seq in turn. No subscriber is not an error.
            let _ = self.events.send(Arc::new(Frame {
                seq: rec.seq,
                public,
                staff,
                committed,
                commit_time,
            }));
        }
    }

    fn run_batch(&mut self, batch: Vec<Request>) {
        self.catch_up();
        self.follow_the_day();
        // An account command reads its stored row before it is decided, so each goes into a
        // transaction after every earlier one has committed: at most one per transaction.
        let mut part = Vec::new();
        for req in batch {
            let account = matches!(req, Request::Account { .. });
            if account && part.iter().any(|r| matches!(r, Request::Account { .. })) {
                self.decide_and_commit(std::mem::take(&mut part));
            }
            part.push(req);
        }
        if !part.is_empty() {
            self.decide_and_commit(part);
        }
    }

    /// At every change of the service day — forward, or back when the clock stepped back
    /// (NTP correcting a clock that was ahead) — close the earlier day in a commit of its own
    /// (forward only), then rebuild the hall for the clock's day from the database, so
    /// numbering continues after whatever is already stored for that day. Start goes through
    /// here too (its first batch is a tick).
    fn follow_the_day(&mut self) {
        let today = local_day(&self.plan, self.clock.now());
        let Some(day) = self.hall.as_ref().map(Hall::day) else {
            return;
        };
        if today == day {
            return;
        }
        if today > day {
            self.decide_and_commit(vec![Request::Tick]);
            self.purge_personal(today);
        } else {
            tracing::warn!(%day, %today, "the clock stepped back to an earlier service day");
        }
        if let Err(e) = self.reload() {
            tracing::error!(error = %e, "the hall cannot be rebuilt at the day change");
        }
    }

    /// `[retention]`: clear the personal data of tickets past their time (the day's reload
    /// that follows reads the cleared rows). A failure is logged and tried at the next day.
    fn purge_personal(&mut self, today: jiff::civil::Date) {
        let r = self.plan.rules.retention;
        let before = |days: u32| {
            today
                .checked_sub(jiff::Span::new().days(i64::from(days)))
                .unwrap_or(today)
                .to_string()
        };
        match self
            .store
            .purge_personal(&before(r.phone_days), &before(r.id_days))
        {
            Ok((0, 0)) => {}
            Ok((phones, ids)) => {
                tracing::info!(phones, ids, "cleared personal data past [retention]");
            }
            Err(e) => tracing::error!(error = %e, "[retention] purge failed"),
        }
    }

    /// Decide every request of `batch` against the hall, commit, broadcast, answer.
    fn decide_and_commit(&mut self, batch: Vec<Request>) {
        if self.hall.is_none()
            && let Err(e) = self.reload()
        {
            tracing::error!(error = %e, "the hall cannot be rebuilt from the database");
        }
        let mut pending: Vec<Pending> = Vec::new();
        let mut records: Vec<(EventRecord, String, i64)> = Vec::new();
        let tz = self.plan.rules.tz.clone();
        let Some(hall) = self.hall.as_mut() else {
            for r in batch {
                if let Request::Command { reply, .. } | Request::Account { reply, .. } = r {
                    let _ = reply.send(Err(EngineError::Store(StoreError::Other(
                        "hall unavailable".into(),
                    ))));
                }
            }
            return;
        };
        let mut seq = self.last_seq;
        for req in batch {
            let now = self.clock.now();
            let (actor, events) = match req {
                Request::Ping(reply) => {
                    let _ = reply.send(self.last_seq);
                    continue;
                }
                Request::Tick => (Actor::System, hall.tick(now)),
                Request::Account { actor, cmd, reply } => {
                    let decided = self
                        .store
                        .account_facts(cmd.subject())
                        .map_err(EngineError::from)
                        .and_then(|facts| Ok(hall.account(&actor, *cmd, facts, now)?));
                    match decided {
                        Ok((r, events)) => {
                            pending.push((reply, outcome_of(hall, r)));
                            (actor, events)
                        }
                        Err(e) => {
                            pending.push((reply, Err(e)));
                            continue;
                        }
                    }
                }
                Request::Command { actor, cmd, reply } => {
                    for event in hall.tick(now) {
                        seq += 1;
                        let rec = EventRecord {
                            seq,
                            at: rfc3339(now, &tz),
                            event,
                        };
                        records.push((rec, Actor::System.label(), now.as_millisecond()));
                    }
                    match hall.handle(&actor, cmd, now) {
                        Ok((r, events)) => {
                            pending.push((reply, outcome_of(hall, r)));
                            (actor, events)
                        }
                        Err(e) => {
                            pending.push((reply, Err(e.into())));
                            continue;
                        }
                    }
                }
            };
            let label = actor.label();
            for event in events {
                seq += 1;
                let rec = EventRecord {
                    seq,
                    at: rfc3339(now, &tz),
                    event,
                };
                records.push((rec, label.clone(), now.as_millisecond()));
            }
        }
        let mut changes = hall.take_changes();
        changes.outbox = self.notifier.derive(&records, hall);
        let dirty = !records.is_empty()
            || !changes.tickets.is_empty()
            || !changes.windows.is_empty()
            || !changes.counters.is_empty()
            || !changes.bookings.is_empty()
            || !changes.accounts.is_empty();
        if dirty {
            let began = std::time::Instant::now();
            let committed = self.store.commit(&mut records, &changes);
            if let Err(e) = &committed {
                tracing::error!(error = %e, "commit failed; nothing of this batch was kept");
                self.notifier.not_committed(&changes.outbox);
                let kind = match e {
                    StoreError::ReadOnly(_) => StoreError::ReadOnly(String::new()),
                    StoreError::Full(_) => StoreError::Full(String::new()),
                    _ => StoreError::Other(String::new()),
                };
                self.hall = None;
                if let Err(e) = self.reload() {
                    tracing::error!(error = %e, "the hall cannot be rebuilt from the database");
                }
                for (reply, outcome) in pending {
                    let out = match outcome {
                        Ok(_) => Err(EngineError::Store(clone_kind(&kind))),
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(out);
                }
                return;
            }
            // Events the CLI committed meanwhile come first; this batch's seqs moved past them.
            let foreign = committed.unwrap_or_default();
            let seq = records
                .last()
                .map(|(r, _, _)| r.seq)
                .or(foreign.last().map(|r| r.seq))
                .unwrap_or(seq);
            self.last_seq = seq;
            // Readers see the commit before any display hears of it or any caller is answered.
            self.publisher.publish(hall, seq);
            let committed = std::time::Instant::now();
            let commit_time = committed - began;
            self.send_frames(
                foreign.iter().chain(records.iter().map(|(r, _, _)| r)),
                committed,
                commit_time,
            );
        }
        for (reply, outcome) in pending {
            let _ = reply.send(outcome);
        }
    }

    /// `rec` as `audience` is sent it, moving that audience's `prev` on when it is sent.
    fn project(&mut self, rec: &EventRecord, audience: Audience) -> Option<String> {
        let prev = &mut self.prev[audience as usize];
        match frame_json(rec, audience, *prev, self.public)? {
            Ok(json) => {
                *prev = rec.seq;
                Some(json)
            }
            Err(e) => {
                tracing::error!(error = %e, "event not serializable");
                None
            }
        }
    }
}

/// The first service day whose tickets may still be rated.
fn rated_since(plan: &Plan, now: Timestamp) -> jiff::civil::Date {
    let back = jiff::SignedDuration::from_secs(i64::from(plan.rules.rating_period_s) + 86_400);
    local_day(plan, now.checked_sub(back).unwrap_or(now))
}

/// The reply to a command, read right after it so later commands of the batch don't show.
fn outcome_of(hall: &Hall, r: Reply) -> Result<Outcome, EngineError> {
    let out = match r {
        Reply::Ticket(id) => hall
            .ticket(id)
            .map(|t| Outcome::Ticket(Box::new(hall.issued_ticket(t)))),
        Reply::Rated { ticket, follow_up } => Some(Outcome::Rated { ticket, follow_up }),
        Reply::FollowUp(id) => Some(Outcome::FollowUp(id)),
        // APPOINTMENTS HOOK (issue 15)
        Reply::Booking { id, created } => hall.booking(id).map(|b| Outcome::Booking {
            booking: Box::new(hall.booking_view(b)),
            created,
        }),
        Reply::CheckedIn { ticket, booking } => {
            hall.ticket(ticket)
                .zip(hall.booking(booking))
                .map(|(t, b)| Outcome::CheckedIn {
                    ticket: Box::new(hall.issued_ticket(t)),
                    booking: Box::new(hall.booking_view(b)),
                })
        }
        Reply::Returned { number, booking } => hall
            .window_view(number)
            .zip(hall.booking(booking))
            .map(|(w, b)| Outcome::Returned {
                window: Box::new(w),
                booking: Box::new(hall.booking_view(b)),
            }),
        Reply::Account(r) => Some(Outcome::Account(Box::new(r))),
        Reply::Window { number, reason } => hall.window_view(number).map(|mut v| {
            v.reason = reason;
            Outcome::Window(Box::new(v))
        }),
    };
    out.ok_or(EngineError::Stopped)
}

fn clone_kind(e: &StoreError) -> StoreError {
    match e {
        StoreError::ReadOnly(s) => StoreError::ReadOnly(s.clone()),
        StoreError::Full(s) => StoreError::Full(s.clone()),
        other => StoreError::Other(other.to_string()),
    }
}

/// 32 random bytes as hex: tokens and keys.
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the OS random source is available");
    crate::domain::hall::hex(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::domain::Priority;

    fn issue(queue: &str) -> Command {
        Command::Issue {
            queue: queue.into(),
            priority: Priority::Normal,
            id_number: None,
            phone: None,
            token: random_hex(),
        }
    }

    #[tokio::test]
    async fn numbering_continues_after_tickets_already_stored_for_the_new_day() {
        // E.g. `hallq simulate --db` lived tomorrow in advance; today's server then runs into it.
        let (_, mut plan) =
            crate::config::Config::parse("hall.toml", include_str!("../config/hall.toml"))
                .expect("config");
        plan.rules.always_open = true;
        let plan = Arc::new(plan);
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("h.db");
        // Noon today in the hall, so that "tomorrow + 1 minute" never crosses a second midnight.
        let noon = plan
            .rules
            .tz
            .to_timestamp(local_day(&plan, jiff::Timestamp::now()).at(12, 0, 0, 0))
            .expect("noon");
        let clock = Arc::new(crate::clock::SimulatedClock::starting_at(noon));
        let tomorrow = clock
            .now()
            .checked_add(jiff::SignedDuration::from_hours(24))
            .expect("t");
        let kiosk = Actor::Device {
            id: "kiosk-1".into(),
            kind: crate::domain::DeviceKind::Kiosk,
            window: None,
        };
        // First a server living tomorrow issues three tickets...
        {
            let later = Arc::new(crate::clock::SimulatedClock::starting_at(tomorrow));
            let engine =
                start(Arc::clone(&plan), Store::open(&path).expect("open"), later).expect("engine");
            for _ in 0..3 {
                engine
                    .execute(kiosk.clone(), issue("xf"))
                    .await
                    .expect("issued");
            }
        }
        // ...then today's server on the same database runs into tomorrow.
        let engine = start(
            Arc::clone(&plan),
            Store::open(&path).expect("open"),
            clock.clone(),
        )
        .expect("engine");
        let today = engine
            .execute(kiosk.clone(), issue("xf"))
            .await
            .expect("issued");
        let Outcome::Ticket(t) = today else {
            panic!("a ticket")
        };
        assert_eq!(t.number, "XF001");
        clock
            .set(
                tomorrow
                    .checked_add(jiff::SignedDuration::from_mins(1))
                    .expect("t"),
            )
            .expect("forward");
        let next = engine
            .execute(kiosk, issue("xf"))
            .await
            .expect("issued, not refused");
        let Outcome::Ticket(t) = next else {
            panic!("a ticket")
        };
        assert_eq!(
            t.number, "XF004",
            "numbering continues after the stored day"
        );
    }

    #[tokio::test]
    async fn a_failed_commit_keeps_memory_and_disk_in_step() {
        let (_, mut plan) =
            crate::config::Config::parse("hall.toml", include_str!("../config/hall.toml"))
                .expect("config");
        plan.rules.always_open = true;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("h.db");
        let mut store = Store::open(&path).expect("open");
        store.limit_growth(6);
        let engine = start(Arc::new(plan), store, Arc::new(SystemClock)).expect("engine");
        let kiosk = Actor::Device {
            id: "kiosk-1".into(),
            kind: crate::domain::DeviceKind::Kiosk,
            window: None,
        };
        let mut acked = 0u32;
        let err = loop {
            match engine.execute(kiosk.clone(), issue("hj")).await {
                Ok(_) => acked += 1,
                Err(e) => break e,
            }
            assert!(acked < 100_000, "the database never filled up");
        };
        assert!(
            matches!(err, EngineError::Store(StoreError::Full(_))),
            "{err:?}"
        );
        // The hall in memory was rebuilt from disk: it counts exactly the committed tickets.
        let issued = engine.read(|h, now, _| {
            h.queue_views(now)
                .into_iter()
                .find(|q| q.id == "hj")
                .map(|q| q.issued)
        });
        assert_eq!(issued, Some(acked));
        let on_disk: i64 = crate::store::Reader::new(&path)
            .report(|v| {
                let mut n = 0;
                v.ticket_facts("0000-01-01", "9999-12-31", |_| n += 1)?;
                Ok(n)
            })
            .expect("count");
        assert_eq!(on_disk, i64::from(acked));
        // And it keeps refusing cleanly rather than handing out a number it cannot keep.
        assert!(matches!(
            engine.execute(kiosk, issue("hj")).await,
            Err(EngineError::Store(_))
        ));
    }
}

#[path = "engine_citizen.rs"]
mod citizen;
pub use citizen::{Rated, Rating};

#[cfg(test)]
#[path = "engine_day_tests.rs"]
mod day_tests;
