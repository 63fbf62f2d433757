//! One simulated day against a running hall: an event-driven loop in simulated time that moves
//! the hall's clock (`POST /api/v1/_clock`) before each action and acts over the real HTTP API
//! as kiosks, clerks and citizens' phones. It owns no hall state beyond what it observes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

use super::booking::{BookingRecord, Fate, Planned};
use super::client::Client;
use super::model::{self, QueueModel, Scenario};
use super::observe::Observation;
use super::rng::Rng;
use crate::domain::plan::{Plan, WindowKind};

const SEC: i64 = 1000;
const MIN: i64 = 60 * SEC;

/// What happened to one ticket, as the simulator saw it.
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub number: String,
    pub token: String,
    /// The queue it was issued in.
    pub queue: String,
    pub department: String,
    pub green: bool,
    pub issued_ms: i64,
    pub called_ms: Option<i64>,
    pub end: End,
    /// hallq's `estimated_wait_s` in the issue reply (`None`: null, no open window).
    pub estimate_s: Option<f64>,
    pub service_s: Option<f64>,
    pub transferred: bool,
    /// The booking it was checked in for (an index into `DayResult::bookings`).
    pub booking: Option<usize>,
}

impl TicketRecord {
    /// Issue to first call, seconds.
    pub fn wait_s(&self) -> Option<f64> {
        self.called_ms.map(|c| (c - self.issued_ms) as f64 / 1000.0)
    }
}

/// How a ticket's day ended, in the simulator's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    Waiting,
    Done,
    NoShow,
    Cancelled,
}

/// The result of one day.
pub struct DayResult {
    pub day: Date,
    pub scenario: Scenario,
    pub seed: u64,
    pub plan: Arc<Plan>,
    pub tickets: Vec<TicketRecord>,
    pub refused: usize,
    /// Replies that were neither expected successes nor expected refusals.
    pub errors: usize,
    pub requests: usize,
    pub staffed: usize,
    pub first_ms: i64,
    pub last_ms: i64,
    pub elapsed: Duration,
    /// Ticket states as the server reports them at the end, by state name.
    pub server_states: BTreeMap<String, usize>,
    /// Server's `wait_s` per ticket that was called (issue to first call).
    pub server_waits: Vec<i64>,
    /// The day's bookings (预约) and how each ended.
    pub bookings: Vec<BookingRecord>,
    /// What the simulator saw happen, in order (see `observe`).
    pub observations: Vec<Observation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrive(usize),
    SignIn(u32),
    Free(u32),
    Start(u32),
    Finish(u32),
    Recall(u32, u8),
    /// A clerk's break is due: an idle clerk looks up and goes.
    BreakDue(u32),
    LunchEnd(u32),
    GiveUp(usize),
    Rate(usize),
    /// A booked citizen at the kiosk's 预约签到.
    CheckIn(usize),
    DayEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClerkState {
    Off,
    Idle,
    Waking,
    Busy,
    Lunch,
}

struct Clerk {
    token: String,
    state: ClerkState,
    /// The day's breaks, earliest first (see `breaks`).
    breaks: Vec<Break>,
    current: Option<usize>,
    kind: WindowKind,
    tiers: Vec<Vec<String>>,
}

struct Citizen {
    rec: TicketRecord,
    /// The queue it waits in now (changes with a transfer).
    queue: String,
    gone: bool,
    started_ms: Option<i64>,
    /// The citizen's own draws (service times, patience): the same citizen gets the same in
    /// the day with bookings and the day without (`Sim::own`).
    rng: Rng,
}

/// Everything one day needs to run.
pub struct DaySetup<'a> {
    pub addr: SocketAddr,
    pub plan: Arc<Plan>,
    pub kiosk_token: &'a str,
    /// Window number -> clerk session token, for the staffed windows.
    pub clerks: BTreeMap<u32, String>,
    pub day: Date,
    pub seed: u64,
    pub scenario: Scenario,
    pub queues: Vec<QueueModel>,
    /// Bookings to make before the hall opens (`booking::plan`).
    pub bookings: Vec<Planned>,
}

struct Sim<'a> {
    http: Client,
    setup: DaySetup<'a>,
    arrivals: Rng,
    /// Which arrivals of a queue that takes bookings stay away (they booked).
    booked_away: Rng,
    people: Rng,
    /// Seed of each citizen's own stream, keyed by who they are (`Sim::own`).
    own_seed: u64,
    /// Arrivals so far per queue (a walk-in's key).
    arrived: Vec<u64>,
    heap: BinaryHeap<Reverse<(i64, u64, Ev)>>,
    seq: u64,
    clock_ms: i64,
    midnight_ms: i64,
    clerks: BTreeMap<u32, Clerk>,
    citizens: Vec<Citizen>,
    by_id: HashMap<i64, usize>,
    /// What it saw happen, in order.
    observations: Vec<Observation>,
    transfer_targets: Vec<String>,
    refused: usize,
    errors: usize,
    requests: usize,
    service_of: HashMap<String, f64>,
    bookings: Vec<BookingRecord>,
    /// Check-in codes by booking index.
    codes: HashMap<usize, String>,
}

/// Run the day to its end; the server keeps running (the caller stops it).
pub async fn run(setup: DaySetup<'_>) -> anyhow::Result<DayResult> {
    let started = Instant::now();
    let tz = setup.plan.rules.tz.clone();
    let midnight_ms = tz
        .to_timestamp(setup.day.at(0, 0, 0, 0))
        .context("the simulated day in the hall's time zone")?
        .as_millisecond();
    let mut root = Rng::new(setup.seed);
    let arrivals = root.fork(1);
    let mut people = root.fork(2);
    let booked_away = root.fork(4);
    let own_seed = root.fork(5).next_u64();
    let mut clerks = BTreeMap::new();
    for (n, token) in &setup.clerks {
        let Some(w) = setup.plan.window(*n) else {
            continue;
        };
        let breaks = breaks(&setup.plan, *n, &setup.scenario, midnight_ms, &mut people);
        clerks.insert(
            *n,
            Clerk {
                token: token.clone(),
                state: ClerkState::Off,
                breaks,
                current: None,
                kind: w.kind,
                tiers: w.tiers.clone(),
            },
        );
    }
    let service_of = setup
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.service_mean_s))
        .collect();
    let mut sim = Sim {
        http: Client::connect(setup.addr).await?,
        transfer_targets: model::transfer_targets(&setup.plan),
        setup,
        arrivals,
        booked_away,
        people,
        own_seed,
        arrived: Vec::new(),
        heap: BinaryHeap::new(),
        seq: 0,
        clock_ms: 0,
        midnight_ms,
        clerks,
        citizens: Vec::new(),
        by_id: HashMap::new(),
        observations: Vec::new(),
        refused: 0,
        errors: 0,
        requests: 0,
        service_of,
        bookings: Vec::new(),
        codes: HashMap::new(),
    };
    sim.book_ahead().await?;
    sim.schedule_start();
    let mut first_ms = i64::MAX;
    let mut last_ms = 0;
    while let Some(Reverse((at, _, ev))) = sim.heap.pop() {
        if !sim.acts(ev) {
            continue;
        }
        first_ms = first_ms.min(at);
        last_ms = at;
        sim.set_clock(at).await?;
        sim.handle(at, ev).await?;
    }
    let (server_states, server_waits) = sim.server_view().await?;
    Ok(DayResult {
        day: sim.setup.day,
        scenario: sim.setup.scenario.clone(),
        seed: sim.setup.seed,
        plan: Arc::clone(&sim.setup.plan),
        tickets: sim.citizens.into_iter().map(|c| c.rec).collect(),
        refused: sim.refused,
        errors: sim.errors,
        requests: sim.requests,
        staffed: sim.clerks.len(),
        first_ms,
        last_ms,
        elapsed: started.elapsed(),
        server_states,
        server_waits,
        bookings: sim.bookings,
        observations: sim.observations,
    })
}

impl Sim<'_> {
    fn push(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, ev)));
    }

    /// Whether `ev` still does something (a citizen called before their patience ran out
    /// does not give up; the clock is not moved for nothing).
    fn acts(&self, ev: Ev) -> bool {
        match ev {
            Ev::GiveUp(i) => {
                let c = &self.citizens[i].rec;
                c.called_ms.is_none() && c.end == End::Waiting
            }
            _ => true,
        }
    }

    fn local(&self, minute: f64) -> i64 {
        self.midnight_ms + (minute * 60_000.0) as i64
    }

    fn schedule_start(&mut self) {
        let numbers: Vec<u32> = self.clerks.keys().copied().collect();
        for n in numbers {
            // Most clerks are at their window by 9:00, a few a little late.
            let late = self.people.uniform(0.0, 16.0) + self.setup.scenario.sign_in_delay_min;
            let at = self.local(8.0 * 60.0 + 50.0 + late);
            self.push(at, Ev::SignIn(n));
            let due: Vec<i64> = self.clerks[&n].breaks.iter().map(|b| b.leave_ms).collect();
            for at in due {
                self.push(at, Ev::BreakDue(n));
            }
        }
        for i in 0..self.setup.queues.len() {
            let from = self.setup.queues[i].from_min;
            if let Some(at) = self.next_arrival(i, from) {
                self.push(at, Ev::Arrive(i));
            }
        }
        let end = self.local(17.0 * 60.0);
        self.push(end, Ev::DayEnd);
    }

    /// The next arrival of queue `i` after `minute` (thinning of a non-homogeneous Poisson
    /// process with intensity peak_rate * shape / shape_max), or `None` past its hours.
    fn next_arrival(&mut self, i: usize, mut minute: f64) -> Option<i64> {
        let q = &self.setup.queues[i];
        if q.peak_rate <= 0.0 {
            return None;
        }
        let (peak, to, max) = (q.peak_rate, q.to_min, model::shape_max());
        loop {
            minute += self.arrivals.exp(1.0 / peak);
            if minute >= to {
                return None;
            }
            if self.arrivals.f64() * max < model::shape(minute) {
                return Some(self.local(minute));
            }
        }
    }

    async fn set_clock(&mut self, at: i64) -> anyhow::Result<()> {
        // The simulated clock also runs with real time: skip moves it has already passed.
        if at <= self.clock_ms {
            return Ok(());
        }
        let now = Timestamp::from_millisecond(at)?.to_string();
        let (status, body) = self
            .call("POST", "/api/v1/_clock", "", &json!({ "now": now }))
            .await?;
        match status {
            200 => self.clock_ms = at,
            409 => {}
            _ => bail!("moving the clock: {status} {body}"),
        }
        Ok(())
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, String)> {
        self.requests += 1;
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        self.http.request(method, path, token, &body).await
    }

    /// A clerk's request at their window; returns the window state on success.
    async fn window(&mut self, n: u32, op: &str, body: Value) -> anyhow::Result<Option<Value>> {
        let token = self.clerks[&n].token.clone();
        let (status, text) = self
            .call("POST", &format!("/api/v1/windows/{n}/{op}"), &token, &body)
            .await?;
        if status == 200 {
            Ok(Some(serde_json::from_str(&text)?))
        } else {
            tracing::warn!(window = n, op, status, %text, "unexpected reply");
            self.errors += 1;
            Ok(None)
        }
    }

    async fn handle(&mut self, now: i64, ev: Ev) -> anyhow::Result<()> {
        match ev {
            Ev::Arrive(i) => self.arrive(now, i).await?,
            Ev::SignIn(n) => {
                if self.window(n, "sign-in", Value::Null).await?.is_some() {
                    self.set_state(n, ClerkState::Busy);
                    self.push(now, Ev::Free(n));
                }
            }
            Ev::Free(n) => self.free(now, n).await?,
            Ev::Start(n) => {
                if self.window(n, "start", Value::Null).await?.is_some() {
                    let ci = self.clerks[&n].current;
                    if let Some(i) = ci {
                        self.citizens[i].started_ms = Some(now);
                    }
                    let queue = ci.map(|i| self.citizens[i].queue.clone());
                    let mean = queue
                        .and_then(|q| self.service_of.get(&q).copied())
                        .unwrap_or(480.0);
                    let sc = &self.setup.scenario;
                    let quick = now < self.local(9.0 * 60.0 + sc.quick_until_min);
                    let mean = if quick { sc.quick_service_s } else { mean };
                    let draw = |r: &mut Rng| r.lognormal(mean, sc.service_cv).max(20.0);
                    let s = match ci {
                        Some(i) => draw(&mut self.citizens[i].rng),
                        None => draw(&mut self.people),
                    };
                    self.push(now + (s * 1000.0) as i64, Ev::Finish(n));
                }
            }
            Ev::Finish(n) => self.finish(now, n).await?,
            Ev::Recall(n, k) => {
                if k < 2 {
                    self.window(n, "recall", Value::Null).await?;
                    self.push(now + 40 * SEC, Ev::Recall(n, k + 1));
                } else {
                    self.window(n, "no-show", json!({"reason": "not_present"}))
                        .await?;
                    if let Some(i) = self.clerks.get_mut(&n).and_then(|c| c.current.take()) {
                        self.citizens[i].rec.end = End::NoShow;
                    }
                    self.push(now + 5 * SEC, Ev::Free(n));
                }
            }
            Ev::BreakDue(n) => {
                if self.clerks[&n].state == ClerkState::Idle {
                    self.set_state(n, ClerkState::Waking);
                    self.push(now, Ev::Free(n));
                }
            }
            Ev::LunchEnd(n) => {
                if self.window(n, "resume", Value::Null).await?.is_some() {
                    self.set_state(n, ClerkState::Busy);
                    self.push(now, Ev::Free(n));
                }
            }
            Ev::GiveUp(i) => self.give_up(now, i).await?,
            Ev::CheckIn(k) => self.check_in(now, k).await?,
            Ev::Rate(i) => {
                let level = model::rating(&mut self.people);
                let mut body = json!({"ticket": self.citizens[i].rec.token, "level": level});
                if matches!(level, "dissatisfied" | "very_dissatisfied") {
                    let reasons = &self.setup.plan.rules.rating_reasons;
                    if let Some(r) = reasons.get(self.people.below(reasons.len().max(1))) {
                        body["reasons"] = json!([r]);
                    }
                }
                let (status, text) = self.call("POST", "/api/v1/ratings", "", &body).await?;
                if status != 201 {
                    tracing::warn!(status, %text, "rating refused");
                    self.errors += 1;
                }
            }
            Ev::DayEnd => {
                // Idle clerks look up at closing time: they sign out when nobody waits.
                let idle: Vec<u32> = self
                    .clerks
                    .iter()
                    .filter(|(_, c)| c.state == ClerkState::Idle)
                    .map(|(n, _)| *n)
                    .collect();
                for n in idle {
                    self.set_state(n, ClerkState::Waking);
                    self.push(now, Ev::Free(n));
                }
            }
        }
        Ok(())
    }

    fn set_state(&mut self, n: u32, s: ClerkState) {
        if let Some(c) = self.clerks.get_mut(&n) {
            c.state = s;
        }
    }

    async fn arrive(&mut self, now: i64, i: usize) -> anyhow::Result<()> {
        let minute = (now - self.midnight_ms) as f64 / 60_000.0;
        if let Some(at) = self.next_arrival(i, minute) {
            self.push(at, Ev::Arrive(i));
        }
        if self.arrived.len() <= i {
            self.arrived.resize(i + 1, 0);
        }
        let key = ((i as u64) << 32) | self.arrived[i];
        self.arrived[i] += 1;
        let share = self.setup.queues[i].walk_in_share;
        if share < 1.0 && !self.booked_away.chance(share) {
            return Ok(());
        }
        let rng = self.own(key);
        self.walk_in(now, i, rng).await?;
        Ok(())
    }

    /// The own stream of the citizen with `key` (a walk-in: queue and arrival number; a
    /// booking: its index with the top bit set). The day with bookings and the day without
    /// draw the same arrivals, so a walk-in in both gets the same service time and patience
    /// in both, whatever else changed the order of events: the two days differ by the
    /// bookings, not by the luck of the draws.
    fn own(&self, key: u64) -> Rng {
        Rng::new(self.own_seed ^ key.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    /// A citizen takes an ordinary ticket in queue `i`; its index among the day's tickets.
    async fn walk_in(&mut self, now: i64, i: usize, mut rng: Rng) -> anyhow::Result<Option<usize>> {
        let q = &self.setup.queues[i];
        let (id, real_name) = (q.id.clone(), q.real_name);
        let green = rng.chance(self.setup.scenario.green_channel);
        let mut body = json!({"queue": id});
        if green {
            body["priority"] = json!("green_channel");
        }
        if real_name {
            body["id_number"] = json!(model::id_number(&mut rng));
        }
        let kiosk = self.setup.kiosk_token.to_string();
        let (status, text) = self.call("POST", "/api/v1/tickets", &kiosk, &body).await?;
        if status == 409 {
            self.refused += 1;
            return Ok(None);
        }
        if status != 201 {
            tracing::warn!(status, %text, "issue failed");
            self.errors += 1;
            return Ok(None);
        }
        self.enter(now, i, &text, green, None, rng).map(Some)
    }

    /// Record the ticket in an issue (or check-in) reply and let the citizen wait.
    fn enter(
        &mut self,
        now: i64,
        i: usize,
        reply: &str,
        green: bool,
        booking: Option<usize>,
        mut rng: Rng,
    ) -> anyhow::Result<usize> {
        let q = self.setup.queues[i].clone();
        let sc = self.setup.scenario.clone();
        let v: Value = serde_json::from_str(reply)?;
        let ahead = v["waiting_ahead"].as_u64().unwrap_or(0) as u32;
        let serving = self
            .open_windows()
            .iter()
            .filter(|(_, tiers)| tiers.iter().flatten().any(|x| *x == q.id))
            .count();
        let idx = self.citizens.len();
        let id = v["id"].as_i64().unwrap_or(-1);
        self.citizens.push(Citizen {
            rec: TicketRecord {
                number: v["number"].as_str().unwrap_or_default().to_string(),
                token: v["token"].as_str().unwrap_or_default().to_string(),
                queue: q.id.clone(),
                department: q.department.clone(),
                green,
                issued_ms: now,
                called_ms: None,
                end: End::Waiting,
                estimate_s: v["estimated_wait_s"].as_f64(),
                service_s: None,
                transferred: false,
                booking,
            },
            queue: q.id.clone(),
            gone: false,
            started_ms: None,
            rng: Rng::new(0),
        });
        self.by_id.insert(id, idx);
        self.observations.push(Observation::Issued {
            ticket: idx,
            queue: q.id.clone(),
            at_ms: now,
            ahead,
            serving,
        });
        let leave = if rng.chance(sc.no_show) {
            rng.uniform(0.0, 15.0)
        } else {
            rng.exp(sc.patience_min)
        };
        self.citizens[idx].rng = rng;
        self.push(now + (leave * 60_000.0) as i64, Ev::GiveUp(idx));
        self.wake(now, &q.id);
        Ok(idx)
    }

    /// Windows open now (signed in, not at lunch), with their tiers.
    fn open_windows(&self) -> Vec<(u32, &[Vec<String>])> {
        self.clerks
            .iter()
            .filter(|(_, c)| {
                matches!(
                    c.state,
                    ClerkState::Idle | ClerkState::Waking | ClerkState::Busy
                )
            })
            .map(|(n, c)| (*n, c.tiers.as_slice()))
            .collect()
    }

    /// A new ticket in `queue`: one idle clerk who can call it looks up, a first-tier one
    /// if there is one.
    fn wake(&mut self, now: i64, queue: &str) {
        let tier = |c: &Clerk| c.tiers.iter().position(|t| t.iter().any(|q| q == queue));
        let best = self
            .clerks
            .iter()
            .filter(|(_, c)| c.state == ClerkState::Idle)
            .filter_map(|(n, c)| tier(c).map(|t| (t, *n)))
            .min();
        if let Some((_, n)) = best {
            self.set_state(n, ClerkState::Waking);
            let react = (self.people.uniform(3.0, 20.0) * 1000.0) as i64;
            self.push(now + react, Ev::Free(n));
        }
    }

    async fn free(&mut self, now: i64, n: u32) -> anyhow::Result<()> {
        let closing = self.local(17.0 * 60.0);
        let c = &self.clerks[&n];
        if c.state == ClerkState::Off || c.state == ClerkState::Lunch {
            return Ok(());
        }
        if let Some(k) = c
            .breaks
            .iter()
            .position(|b| !b.done && now >= b.leave_ms && now < closing)
        {
            let b = self.clerks.get_mut(&n).map(|c| {
                c.breaks[k].done = true;
                c.breaks[k].clone()
            });
            if let Some(b) = b.filter(|b| !b.skip)
                && self
                    .window(n, "pause", json!({"reason": b.reason}))
                    .await?
                    .is_some()
            {
                self.set_state(n, ClerkState::Lunch);
                self.push(b.back_ms(now), Ev::LunchEnd(n));
                return Ok(());
            }
        }
        let Some(v) = self.window(n, "call-next", Value::Null).await? else {
            return Ok(());
        };
        let Some(id) = v["current"]["id"].as_i64() else {
            if now >= closing {
                self.window(n, "sign-out", Value::Null).await?;
                self.set_state(n, ClerkState::Off);
            } else {
                self.set_state(n, ClerkState::Idle);
            }
            return Ok(());
        };
        let Some(&i) = self.by_id.get(&id) else {
            bail!("window {n} called a ticket the simulator never issued ({id})");
        };
        self.set_state(n, ClerkState::Busy);
        if let Some(c) = self.clerks.get_mut(&n) {
            c.current = Some(i);
        }
        let cit = &mut self.citizens[i];
        let first = cit.rec.called_ms.is_none();
        cit.rec.called_ms.get_or_insert(now);
        let queue = cit.queue.clone();
        let gone = cit.gone;
        let issued = cit.rec.issued_ms;
        self.observations.push(Observation::Called {
            ticket: i,
            queue,
            issued_ms: issued,
            at_ms: now,
            first,
        });
        if gone {
            self.push(now + 40 * SEC, Ev::Recall(n, 0));
        } else {
            let walk = (self.people.uniform(15.0, 60.0) * 1000.0) as i64;
            self.push(now + walk, Ev::Start(n));
        }
        Ok(())
    }

    async fn finish(&mut self, now: i64, n: u32) -> anyhow::Result<()> {
        let Some(i) = self.clerks[&n].current else {
            return Ok(());
        };
        let comprehensive = self.clerks[&n].kind != WindowKind::Resident;
        let sc = self.setup.scenario.clone();
        if comprehensive
            && !self.citizens[i].rec.transferred
            && !self.transfer_targets.is_empty()
            && self.people.chance(sc.transfer)
        {
            let to = self.transfer_targets[self.people.below(self.transfer_targets.len())].clone();
            let body = json!({"to_queue": to, "position": "front", "reason": "resident_window"});
            if self.window(n, "transfer", body).await?.is_some() {
                let c = &mut self.citizens[i];
                c.rec.transferred = true;
                c.queue = to.clone();
                let issued = c.rec.issued_ms;
                self.observations.push(Observation::Requeued {
                    ticket: i,
                    queue: to.clone(),
                    issued_ms: issued,
                });
                if let Some(c) = self.clerks.get_mut(&n) {
                    c.current = None;
                }
                self.wake(now, &to);
            }
        } else {
            let outcome = model::outcome(&mut self.people);
            let mut body = json!({ "outcome": outcome });
            if matches!(outcome, "supplement" | "returned") {
                body["note"] = json!("sim");
            }
            if self.window(n, "finish", body).await?.is_some() {
                let queue = self.citizens[i].queue.clone();
                let c = &self.citizens[i];
                let started = c.started_ms.or(c.rec.called_ms).unwrap_or(now);
                let service = (now - started) as f64 / 1000.0;
                self.observations.push(Observation::Served {
                    queue,
                    secs: service,
                });
                let c = &mut self.citizens[i];
                c.rec.end = End::Done;
                c.rec.service_s = Some(service);
                if let Some(c) = self.clerks.get_mut(&n) {
                    c.current = None;
                }
                if self.people.chance(sc.rate) {
                    let later = (self.people.uniform(0.2, 20.0) * 60_000.0) as i64;
                    self.push(now + later, Ev::Rate(i));
                }
            }
        }
        let gap = (self.people.uniform(5.0, 25.0) * 1000.0) as i64;
        self.push(now + gap, Ev::Free(n));
        Ok(())
    }

    async fn give_up(&mut self, _now: i64, i: usize) -> anyhow::Result<()> {
        self.citizens[i].gone = true;
        if self.people.chance(self.setup.scenario.cancel_on_leave) {
            let token = self.citizens[i].rec.token.clone();
            let (status, text) = self
                .call(
                    "POST",
                    &format!("/api/v1/tickets/{token}/cancel"),
                    "",
                    &Value::Null,
                )
                .await?;
            if status == 200 {
                let queue = self.citizens[i].queue.clone();
                self.citizens[i].rec.end = End::Cancelled;
                self.observations
                    .push(Observation::Left { ticket: i, queue });
            } else {
                tracing::warn!(status, %text, "cancel refused");
                self.errors += 1;
            }
        }
        Ok(())
    }

    /// Make the day's bookings at the kiosk-less hour before opening (the phone page's route).
    async fn book_ahead(&mut self) -> anyhow::Result<()> {
        let planned = std::mem::take(&mut self.setup.bookings);
        for (k, p) in planned.into_iter().enumerate() {
            let body = json!({
                "queue": p.queue, "day": self.setup.day.to_string(), "start": p.start,
                "id_number": model::id_number(&mut self.people),
                "phone": format!("139{:08}", self.people.below(100_000_000)),
            });
            let (status, text) = self.call("POST", "/api/v1/appointments", "", &body).await?;
            let fate = match status {
                201 => {
                    let v: Value = serde_json::from_str(&text)?;
                    self.codes
                        .insert(k, v["code"].as_str().unwrap_or_default().to_string());
                    if let Some(at) = p.arrives_ms {
                        self.push(at, Ev::CheckIn(k));
                    }
                    Fate::NoShow
                }
                // The same person twice that day, or a full slot: it stays a walk-in's visit.
                409 => Fate::Refused,
                _ => {
                    tracing::warn!(status, %text, "booking failed");
                    self.errors += 1;
                    Fate::Refused
                }
            };
            self.bookings.push(BookingRecord { plan: p, fate });
        }
        Ok(())
    }

    /// Booked citizen `k` at the kiosk: checked in, told to come back (too early) or given an
    /// ordinary ticket (too late).
    async fn check_in(&mut self, now: i64, k: usize) -> anyhow::Result<()> {
        let code = self.codes.get(&k).cloned().unwrap_or_default();
        let queue = self.bookings[k].plan.queue.clone();
        let Some(i) = self.setup.queues.iter().position(|q| q.id == queue) else {
            return Ok(());
        };
        let kiosk = self.setup.kiosk_token.to_string();
        let (status, text) = self
            .call(
                "POST",
                "/api/v1/appointments/check-in",
                &kiosk,
                &json!({ "code": code }),
            )
            .await?;
        let refusal = || {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        match (status, refusal().as_str()) {
            (201, _) => {
                let rng = self.own(BOOKED | k as u64);
                let idx = self.enter(now, i, &text, false, Some(k), rng)?;
                self.bookings[k].fate = Fate::CheckedIn(idx);
            }
            (409, "too_early") => self.push(now + 3 * MIN, Ev::CheckIn(k)),
            // Past the allowance (or already missed on the hall clock): an ordinary ticket.
            (409, "too_late") | (404, _) => {
                self.bookings[k].fate = Fate::TooLate;
                let rng = self.own(BOOKED | k as u64);
                self.walk_in(now, i, rng).await?;
            }
            _ => {
                tracing::warn!(status, %text, "check-in failed");
                self.errors += 1;
            }
        }
        Ok(())
    }

    /// Every ticket's state and wait as the server has them now.
    async fn server_view(&mut self) -> anyhow::Result<(BTreeMap<String, usize>, Vec<i64>)> {
        let mut states = BTreeMap::new();
        let mut waits = Vec::new();
        let tokens: Vec<(String, bool)> = self
            .citizens
            .iter()
            .map(|c| (c.rec.token.clone(), c.rec.called_ms.is_some()))
            .collect();
        for (token, called) in tokens {
            let (status, text) = self
                .call("GET", &format!("/api/v1/tickets/{token}"), "", &Value::Null)
                .await?;
            if status != 200 {
                *states.entry(format!("http_{status}")).or_default() += 1;
                continue;
            }
            let v: Value = serde_json::from_str(&text)?;
            let state = v["state"].as_str().unwrap_or("?").to_string();
            *states.entry(state).or_default() += 1;
            if called
                && let (Some(i), Some(c)) = (v["issued_at"].as_str(), v["called_at"].as_str())
                && let (Ok(i), Ok(c)) = (i.parse::<Timestamp>(), c.parse::<Timestamp>())
            {
                // called_at is the latest call; with a transfer the first call was earlier.
                waits.push(c.as_second() - i.as_second());
            }
        }
        Ok((states, waits))
    }
}

/// One break of a clerk's day, as the clerk will take it (the hall never sees this).
#[derive(Debug, Clone)]
struct Break {
    /// The clerk goes when first free at or after this.
    leave_ms: i64,
    /// Back no earlier than this (the rota's end; 0 when the hall has no rota)...
    end_ms: i64,
    /// ... nor before a whole break after going,
    len_ms: i64,
    /// ... plus this (negative: back early).
    overrun_ms: i64,
    reason: String,
    /// The clerk works through it (a busy day, a colleague's favour).
    skip: bool,
    done: bool,
}

impl Break {
    fn back_ms(&self, went: i64) -> i64 {
        self.end_ms.max(went + self.len_ms) + self.overrun_ms
    }
}

/// Window `n`'s breaks today. With a `[[rota]]` the clerk keeps it with a person's noise:
/// goes up to 5 minutes early or late (later still when serving someone then), is back
/// within a few minutes of the rota's end (one in ten overruns by 5-20 minutes), and one
/// break in fifty is skipped. A hall without a rota still lunches, at times it never writes
/// down: half the clerks at 11:45-12:15, half at 12:45-13:15, for about an hour.
fn breaks(plan: &Plan, n: u32, sc: &Scenario, midnight_ms: i64, rng: &mut Rng) -> Vec<Break> {
    let at = |t: jiff::civil::Time| {
        midnight_ms + (i64::from(t.hour()) * 60 + i64::from(t.minute())) * MIN
    };
    if plan.rota.is_empty() {
        let lunch = if rng.chance(0.5) { 11.75 } else { 12.75 };
        let leave_ms = midnight_ms + ((lunch * 60.0 + rng.uniform(0.0, 30.0)) * 60_000.0) as i64;
        let len_ms = ((sc.lunch_min + rng.uniform(-5.0, 10.0)) * 60_000.0) as i64;
        return vec![Break {
            leave_ms,
            end_ms: 0,
            len_ms,
            overrun_ms: 0,
            reason: "lunch".into(),
            skip: false,
            done: false,
        }];
    }
    crate::domain::rota::of_window(plan, n)
        .map(|a| {
            let leave_ms = at(a.from) + (rng.uniform(-5.0, 5.0) * 60_000.0) as i64;
            let mut overrun = rng.uniform(-3.0, 5.0);
            if rng.chance(0.1) {
                overrun += rng.uniform(5.0, 20.0);
            }
            Break {
                leave_ms,
                end_ms: at(a.to),
                len_ms: a.len_s() * SEC,
                overrun_ms: (overrun * 60_000.0) as i64,
                reason: a.reason.name().to_string(),
                skip: rng.chance(0.02),
                done: false,
            }
        })
        .collect()
}

/// The top bit of a booked citizen's key (`Sim::own`).
const BOOKED: u64 = 1 << 63;

/// Minutes after midnight as HH:MM.
pub fn hhmm(ms_after_midnight: i64) -> String {
    let m = ms_after_midnight / MIN;
    format!("{:02}:{:02}", m / 60, m % 60)
}
