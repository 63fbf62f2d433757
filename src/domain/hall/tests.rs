#![allow(clippy::type_complexity)] // case tables read best inline
//! Table-driven tests of the pure hall with an explicit clock: every command in every
//! relevant state, numbering, quotas and hours, real-name issuing, routing, and
//! persistence (take_changes → restore).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, time};
use jiff::tz::TimeZone;

use super::*;
use crate::domain::event::{CallReason, Event, Position};
use crate::domain::plan::{
    Band, Department, DepartmentKind, Plan, QueuePlan, Rules, Texts, WindowKind, WindowPlan, Zone,
};
use crate::domain::ticket::{Outcome, Priority, TicketId, TicketState};

mod copies;
mod rota;

// ---- a small hand-made hall -------------------------------------------------------------

fn plan() -> Plan {
    let tz = TimeZone::get("Asia/Shanghai").expect("bundled time zone");
    let queue = |id: &str, prefix: &str, dept: &str, quota: u32, real_name: bool| QueuePlan {
        id: id.into(),
        name: format!("业务{id}"),
        name_en: None,
        prefix: prefix.into(),
        department: dept.into(),
        daily_quota: quota,
        service_s: 600,
        real_name,
        ask_phone: false,
        opens: time(9, 0, 0, 0),
        last_issue: time(16, 30, 0, 0),
        bands: Vec::new(),
        appointments: None,
    };
    let mut b = queue("b", "B", "bdc", 50, false);
    b.bands = vec![Band {
        from: time(9, 0, 0, 0),
        to: time(12, 0, 0, 0),
        quota: 2,
    }];
    let window = |number: u32, kind: WindowKind, tiers: &[&[&str]]| WindowPlan {
        number,
        name: format!("{number}号窗口"),
        kind,
        zone: "z1".into(),
        tiers: tiers
            .iter()
            .map(|t| t.iter().map(|q| q.to_string()).collect())
            .collect(),
    };
    Plan {
        rules: Rules {
            name: "三都县政务服务中心".into(),
            tz,
            tz_name: "Asia/Shanghai".into(),
            wait_target_s: 1200,
            green_channel_ratio: 2,
            recall_limit: 2,
            default_service_s: 300,
            always_open: false,
            closes: jiff::civil::Time::constant(17, 0, 0, 0),
            rating_period_s: 72 * 3600,
            follow_up_days: 3,
            rating_reasons: Vec::new(),
            miss_rule: Default::default(),
            appointment_calling: Default::default(),
            retention: Default::default(),
        },
        texts: Texts {
            voice_call: "请{number}号到{window}号窗口办理".into(),
            screen_call: "请 {number} 到 {window} 号窗口办理".into(),
            window_idle: "欢迎您".into(),
            window_paused: "暂停服务".into(),
            window_calling: "请{number}号".into(),
            notice: "取号后请在休息区等候，注意留意大屏和语音叫号".into(),
            slip_footer: "过号请重新取号".into(),
            estimate_pending: "暂无窗口办理，开窗后开始计时".into(),
        },
        zones: vec![Zone {
            id: "z1".into(),
            name: "一楼".into(),
        }],
        departments: vec![
            Department {
                id: "bdc".into(),
                name: "不动产登记中心".into(),
                name_en: None,
                kind: DepartmentKind::County,
            },
            Department {
                id: "gaj".into(),
                name: "公安局".into(),
                name_en: None,
                kind: DepartmentKind::Vertical,
            },
        ],
        queues: vec![
            queue("a", "A", "bdc", 3, false),
            b,
            queue("r", "R", "gaj", 100, true),
            queue("h", "H", "gaj", 1200, false),
        ],
        windows: vec![
            window(1, WindowKind::Resident, &[&["a"], &["b"]]),
            window(2, WindowKind::Resident, &[&["b"]]),
            window(3, WindowKind::Comprehensive, &[&["a", "b"]]),
            window(4, WindowKind::Resident, &[&["r"], &["h"]]),
        ],
        alarms: Default::default(),
        appraisal: Default::default(),
        public_url: None,
        printers: Vec::new(),
        kiosks: Vec::new(),
        rota: Vec::new(),
    }
}

/// A local time on 2026-11-27 in Asia/Shanghai: "14:00" or "14:00:30".
fn at(hm: &str) -> Timestamp {
    let hms = if hm.len() == 5 {
        format!("{hm}:00")
    } else {
        hm.to_string()
    };
    ts(&format!("2026-11-27T{hms}+08:00"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

fn staff(username: &str, name: &str, role: Role) -> Actor {
    Actor::Staff {
        username: username.into(),
        name: name.into(),
        role,
    }
}
fn c1() -> Actor {
    staff("c1", "李红", Role::Clerk)
}
fn c2() -> Actor {
    staff("c2", "王强", Role::Clerk)
}
fn c3() -> Actor {
    staff("c3", "张敏", Role::Clerk)
}
fn mgr() -> Actor {
    staff("m1", "赵主任", Role::Manager)
}
fn kiosk() -> Actor {
    Actor::Device {
        id: "kiosk-1".into(),
        kind: DeviceKind::Kiosk,
        window: None,
    }
}
fn display() -> Actor {
    Actor::Device {
        id: "wall-1".into(),
        kind: DeviceKind::Display,
        window: None,
    }
}
fn citizen() -> Actor {
    Actor::Citizen
}

fn issue_cmd(queue: &str, token: &str) -> Command {
    Command::Issue {
        queue: queue.into(),
        priority: Priority::Normal,
        id_number: None,
        phone: None,
        token: token.into(),
    }
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}

fn code<T>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// A hall and its clock.
struct Fx {
    h: Hall,
    now: Timestamp,
    tokens: u32,
}

impl Fx {
    fn new() -> Fx {
        Fx::with(|_| {}, at("14:00"))
    }

    fn with(tweak: impl FnOnce(&mut Plan), now: Timestamp) -> Fx {
        let mut p = plan();
        tweak(&mut p);
        Fx {
            h: Hall::restore(Arc::new(p), b"key".to_vec(), now, Restored::default()),
            now,
            tokens: 0,
        }
    }

    fn set(&mut self, hm: &str) {
        self.now = at(hm);
    }

    fn later(&mut self, secs: i64) {
        self.now =
            Timestamp::from_millisecond(self.now.as_millisecond() + secs * 1000).expect("in range");
    }

    fn run(&mut self, actor: &Actor, cmd: Command) -> Result<Vec<Event>, DomainError> {
        self.h.handle(actor, cmd, self.now).map(|(_, e)| e)
    }

    fn ok(&mut self, actor: &Actor, cmd: Command) -> Vec<Event> {
        let dbg = format!("{cmd:?}");
        self.run(actor, cmd)
            .unwrap_or_else(|e| panic!("{dbg} refused: {}", e.code()))
    }

    fn try_issue(
        &mut self,
        queue: &str,
        priority: Priority,
        id_number: Option<&str>,
        phone: Option<&str>,
    ) -> Result<TicketId, DomainError> {
        self.tokens += 1;
        let cmd = Command::Issue {
            queue: queue.into(),
            priority,
            id_number: id_number.map(Into::into),
            phone: phone.map(Into::into),
            token: format!("tok-{}", self.tokens),
        };
        let (reply, _) = self.h.handle(&kiosk(), cmd, self.now)?;
        // Issue times strictly increase, so the oldest-first order is the issue order.
        self.later(1);
        match reply {
            Reply::Ticket(id) => Ok(id),
            other => panic!("issue replied {other:?}"),
        }
    }

    fn issue(&mut self, queue: &str) -> TicketId {
        self.try_issue(queue, Priority::Normal, None, None)
            .expect("issued")
    }

    fn green(&mut self, queue: &str) -> TicketId {
        self.try_issue(queue, Priority::GreenChannel, None, None)
            .expect("issued")
    }

    fn t(&self, id: TicketId) -> &Ticket {
        self.h.ticket(id).expect("known ticket")
    }

    fn number(&self, id: TicketId) -> String {
        self.t(id).number.clone()
    }

    fn sign_in(&mut self, who: &Actor, window: u32) {
        self.ok(
            who,
            Command::SignIn {
                window,
                scope: Default::default(),
            },
        );
    }

    /// Call next and return (number, reason) from the ticket.called event.
    fn call_next(&mut self, who: &Actor, window: u32) -> Option<(String, CallReason)> {
        let (reply, events) = self
            .h
            .handle(who, Command::CallNext { window }, self.now)
            .expect("call next accepted");
        let called = called(&events);
        let Reply::Window { reason, .. } = reply else {
            panic!("window reply expected")
        };
        assert_eq!(
            reason,
            called.as_ref().map(|c| c.1),
            "reply and event agree on the reason"
        );
        called
    }

    fn finish(&mut self, who: &Actor, window: u32) {
        self.ok(
            who,
            Command::Finish {
                window,
                outcome: Outcome::Done,
                note: None,
            },
        );
    }

    fn current(&self, window: u32) -> Option<String> {
        self.h
            .window_view(window)
            .and_then(|w| w.current)
            .map(|t| t.number)
    }
}

fn called(events: &[Event]) -> Option<(String, CallReason)> {
    events.iter().find_map(|e| match e {
        Event::TicketCalled { ticket, reason, .. } => Some((ticket.number.clone(), *reason)),
        _ => None,
    })
}

// ---- 1. every window and ticket command in each relevant state ------------------------

fn none(_: &mut Fx) {}
fn open1(f: &mut Fx) {
    f.sign_in(&c1(), 1);
}
fn waiting1(f: &mut Fx) {
    open1(f);
    f.issue("a");
}
fn called1(f: &mut Fx) {
    waiting1(f);
    f.ok(&c1(), Command::CallNext { window: 1 });
}
fn serving1(f: &mut Fx) {
    called1(f);
    f.ok(&c1(), Command::Start { window: 1 });
}
fn held1(f: &mut Fx) {
    serving1(f);
    f.ok(&c1(), Command::Hold { window: 1 });
}
fn paused1(f: &mut Fx) {
    open1(f);
    f.ok(
        &c1(),
        Command::Pause {
            window: 1,
            reason: "break".into(),
            until: None,
        },
    );
}
fn paused1_waiting(f: &mut Fx) {
    paused1(f);
    f.issue("a");
}
fn called1_and_waiting(f: &mut Fx) {
    called1(f);
    f.issue("a");
}
fn recalled_to_limit(f: &mut Fx) {
    called1(f);
    for _ in 0..f.h.plan().rules.recall_limit {
        f.ok(&c1(), Command::Recall { window: 1 });
    }
}
fn held1_busy(f: &mut Fx) {
    held1(f);
    f.issue("a");
    f.ok(&c1(), Command::CallNext { window: 1 });
}
fn held1_c2_at_3(f: &mut Fx) {
    held1(f);
    f.sign_in(&c2(), 3);
}
fn called1_c2_at_3(f: &mut Fx) {
    called1(f);
    f.sign_in(&c2(), 3);
}
fn a_waiting_c1_at_2(f: &mut Fx) {
    f.sign_in(&c1(), 2);
    f.issue("a");
}
fn only_waiting(f: &mut Fx) {
    f.issue("a");
}

type Want = Result<&'static [&'static str], &'static str>;

struct Case {
    name: &'static str,
    setup: fn(&mut Fx),
    actor: fn() -> Actor,
    cmd: fn() -> Command,
    want: Want,
}

fn case(
    name: &'static str,
    setup: fn(&mut Fx),
    actor: fn() -> Actor,
    cmd: fn() -> Command,
    want: Want,
) -> Case {
    Case {
        name,
        setup,
        actor,
        cmd,
        want,
    }
}

#[test]
fn commands_in_each_state() {
    use Command as C;
    const CALLED: &[&str] = &["ticket.called"];
    let cases = vec![
        // sign in / out
        case(
            "sign in to a free window",
            none,
            c1,
            || C::SignIn {
                window: 1,
                scope: Default::default(),
            },
            Ok(&["window.signed_in"]),
        ),
        case(
            "sign in again where already signed in",
            open1,
            c1,
            || C::SignIn {
                window: 1,
                scope: Default::default(),
            },
            Ok(&[]),
        ),
        case(
            "sign in to a taken window",
            open1,
            c2,
            || C::SignIn {
                window: 1,
                scope: Default::default(),
            },
            Err("window_taken"),
        ),
        case(
            "sign in while signed in elsewhere",
            open1,
            c1,
            || C::SignIn {
                window: 2,
                scope: Default::default(),
            },
            Err("clerk_elsewhere"),
        ),
        case(
            "sign in to an unknown window",
            none,
            c1,
            || C::SignIn {
                window: 99,
                scope: Default::default(),
            },
            Err("unknown_window"),
        ),
        case(
            "a device signs in",
            none,
            kiosk,
            || C::SignIn {
                window: 1,
                scope: Default::default(),
            },
            Err("forbidden"),
        ),
        case(
            "sign out an idle window",
            open1,
            c1,
            || C::SignOut { window: 1 },
            Ok(&["window.signed_out"]),
        ),
        case(
            "sign out a paused window",
            paused1,
            c1,
            || C::SignOut { window: 1 },
            Ok(&["window.signed_out"]),
        ),
        case(
            "sign out with a ticket called",
            called1,
            c1,
            || C::SignOut { window: 1 },
            Err("window_busy"),
        ),
        case(
            "sign out while serving",
            serving1,
            c1,
            || C::SignOut { window: 1 },
            Err("window_busy"),
        ),
        case(
            "sign out a closed window",
            none,
            c1,
            || C::SignOut { window: 1 },
            Err("window_not_open"),
        ),
        case(
            "another clerk signs me out",
            open1,
            c2,
            || C::SignOut { window: 1 },
            Err("not_your_window"),
        ),
        case(
            "a manager signs a clerk out",
            open1,
            mgr,
            || C::SignOut { window: 1 },
            Ok(&["window.signed_out"]),
        ),
        // pause / resume
        case(
            "pause with a reason",
            open1,
            c1,
            || C::Pause {
                window: 1,
                reason: "午休".into(),
                until: None,
            },
            Ok(&["window.paused"]),
        ),
        case(
            "pause without a reason",
            open1,
            c1,
            || C::Pause {
                window: 1,
                reason: "  ".into(),
                until: None,
            },
            Err("reason_required"),
        ),
        case(
            "pause with a ticket in hand",
            called1,
            c1,
            || C::Pause {
                window: 1,
                reason: "x".into(),
                until: None,
            },
            Err("window_busy"),
        ),
        case(
            "pause twice",
            paused1,
            c1,
            || C::Pause {
                window: 1,
                reason: "x".into(),
                until: None,
            },
            Err("window_paused"),
        ),
        case(
            "pause a closed window",
            none,
            c1,
            || C::Pause {
                window: 1,
                reason: "x".into(),
                until: None,
            },
            Err("window_not_open"),
        ),
        case(
            "resume a paused window",
            paused1,
            c1,
            || C::Resume { window: 1 },
            Ok(&["window.resumed"]),
        ),
        case(
            "resume an open window",
            open1,
            c1,
            || C::Resume { window: 1 },
            Err("invalid_state"),
        ),
        case(
            "resume a closed window",
            none,
            c1,
            || C::Resume { window: 1 },
            Err("window_not_open"),
        ),
        // call next
        case(
            "call next at a closed window",
            only_waiting,
            c1,
            || C::CallNext { window: 1 },
            Err("window_not_open"),
        ),
        case(
            "call next while paused",
            paused1_waiting,
            c1,
            || C::CallNext { window: 1 },
            Err("window_paused"),
        ),
        case(
            "call next with a ticket in hand",
            called1_and_waiting,
            c1,
            || C::CallNext { window: 1 },
            Err("window_busy"),
        ),
        case(
            "call next, nobody waiting",
            open1,
            c1,
            || C::CallNext { window: 1 },
            Ok(&[]),
        ),
        case(
            "call next, someone waiting",
            waiting1,
            c1,
            || C::CallNext { window: 1 },
            Ok(CALLED),
        ),
        case(
            "call next at an unknown window",
            open1,
            c1,
            || C::CallNext { window: 99 },
            Err("unknown_window"),
        ),
        // recall
        case(
            "recall a called ticket",
            called1,
            c1,
            || C::Recall { window: 1 },
            Ok(&["ticket.recalled"]),
        ),
        case(
            "recall past the limit",
            recalled_to_limit,
            c1,
            || C::Recall { window: 1 },
            Err("recall_limit"),
        ),
        case(
            "recall while serving",
            serving1,
            c1,
            || C::Recall { window: 1 },
            Err("invalid_state"),
        ),
        case(
            "recall with nothing in hand",
            open1,
            c1,
            || C::Recall { window: 1 },
            Err("no_current_ticket"),
        ),
        // no-show
        case(
            "no-show a called ticket",
            called1,
            c1,
            || C::NoShow {
                window: 1,
                reason: None,
            },
            Ok(&["ticket.no_show"]),
        ),
        case(
            "no-show after the recall limit",
            recalled_to_limit,
            c1,
            || C::NoShow {
                window: 1,
                reason: None,
            },
            Ok(&["ticket.no_show"]),
        ),
        case(
            "no-show while serving",
            serving1,
            c1,
            || C::NoShow {
                window: 1,
                reason: None,
            },
            Err("invalid_state"),
        ),
        case(
            "no-show with nothing in hand",
            open1,
            c1,
            || C::NoShow {
                window: 1,
                reason: None,
            },
            Err("no_current_ticket"),
        ),
        // start / finish
        case(
            "start a called ticket",
            called1,
            c1,
            || C::Start { window: 1 },
            Ok(&["ticket.started"]),
        ),
        case(
            "start twice",
            serving1,
            c1,
            || C::Start { window: 1 },
            Err("invalid_state"),
        ),
        case(
            "start with nothing in hand",
            open1,
            c1,
            || C::Start { window: 1 },
            Err("no_current_ticket"),
        ),
        case(
            "finish from called",
            called1,
            c1,
            || C::Finish {
                window: 1,
                outcome: Outcome::Consultation,
                note: None,
            },
            Ok(&["ticket.finished"]),
        ),
        case(
            "finish from serving",
            serving1,
            c1,
            || C::Finish {
                window: 1,
                outcome: Outcome::Done,
                note: None,
            },
            Ok(&["ticket.finished"]),
        ),
        case(
            "finish with nothing in hand",
            open1,
            c1,
            || C::Finish {
                window: 1,
                outcome: Outcome::Done,
                note: None,
            },
            Err("no_current_ticket"),
        ),
        // hold / call back
        case(
            "hold a called ticket",
            called1,
            c1,
            || C::Hold { window: 1 },
            Ok(&["ticket.held"]),
        ),
        case(
            "hold a served ticket",
            serving1,
            c1,
            || C::Hold { window: 1 },
            Ok(&["ticket.held"]),
        ),
        case(
            "hold with nothing in hand",
            open1,
            c1,
            || C::Hold { window: 1 },
            Err("no_current_ticket"),
        ),
        case(
            "call back a held ticket",
            held1,
            c1,
            || C::CallBack {
                window: 1,
                number: "A001".into(),
            },
            Ok(CALLED),
        ),
        case(
            "call back a waiting ticket",
            waiting1,
            c1,
            || C::CallBack {
                window: 1,
                number: "A001".into(),
            },
            Err("ticket_not_held"),
        ),
        case(
            "call back at another window",
            held1_c2_at_3,
            c2,
            || C::CallBack {
                window: 3,
                number: "A001".into(),
            },
            Err("ticket_not_held"),
        ),
        case(
            "call back while busy",
            held1_busy,
            c1,
            || C::CallBack {
                window: 1,
                number: "A001".into(),
            },
            Err("window_busy"),
        ),
        case(
            "call back an unknown number",
            held1,
            c1,
            || C::CallBack {
                window: 1,
                number: "A999".into(),
            },
            Err("unknown_ticket"),
        ),
        // call a specific number (特呼)
        case(
            "call specific with a reason",
            waiting1,
            c1,
            || C::Call {
                window: 1,
                number: "a001".into(),
                reason: "老人".into(),
            },
            Ok(CALLED),
        ),
        case(
            "call specific without a reason",
            waiting1,
            c1,
            || C::Call {
                window: 1,
                number: "A001".into(),
                reason: " ".into(),
            },
            Err("reason_required"),
        ),
        case(
            "call specific, queue not served here",
            a_waiting_c1_at_2,
            c1,
            || C::Call {
                window: 2,
                number: "A001".into(),
                reason: "x".into(),
            },
            Err("ticket_not_callable"),
        ),
        case(
            "call specific, ticket already called",
            called1_c2_at_3,
            c2,
            || C::Call {
                window: 3,
                number: "A001".into(),
                reason: "x".into(),
            },
            Err("ticket_not_callable"),
        ),
        case(
            "call specific, unknown number",
            waiting1,
            c1,
            || C::Call {
                window: 1,
                number: "A999".into(),
                reason: "x".into(),
            },
            Err("unknown_ticket"),
        ),
        case(
            "call specific while busy",
            called1_and_waiting,
            c1,
            || C::Call {
                window: 1,
                number: "A002".into(),
                reason: "x".into(),
            },
            Err("window_busy"),
        ),
        // transfer
        case(
            "transfer without a target",
            called1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: None,
                to_window: None,
                position: Position::Back,
                reason: None,
            },
            Err("transfer_target_required"),
        ),
        case(
            "transfer to an unknown queue",
            called1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: Some("zz".into()),
                to_window: None,
                position: Position::Back,
                reason: None,
            },
            Err("unknown_queue"),
        ),
        case(
            "transfer to an unknown window",
            called1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: None,
                to_window: Some(99),
                position: Position::Back,
                reason: None,
            },
            Err("unknown_window"),
        ),
        case(
            "transfer to a queue",
            called1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: Some("b".into()),
                to_window: None,
                position: Position::Back,
                reason: None,
            },
            Ok(&["ticket.transferred"]),
        ),
        case(
            "transfer to a window while serving",
            serving1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: None,
                to_window: Some(3),
                position: Position::Front,
                reason: Some("材料".into()),
            },
            Ok(&["ticket.transferred"]),
        ),
        case(
            "transfer with nothing in hand",
            open1,
            c1,
            || C::Transfer {
                window: 1,
                to_queue: Some("b".into()),
                to_window: None,
                position: Position::Back,
                reason: None,
            },
            Err("no_current_ticket"),
        ),
        // cancel by token (the first ticket's token is tok-1)
        case(
            "cancel a waiting ticket",
            waiting1,
            citizen,
            || C::Cancel {
                token: "tok-1".into(),
            },
            Ok(&["ticket.cancelled"]),
        ),
        case(
            "cancel a called ticket",
            called1,
            citizen,
            || C::Cancel {
                token: "tok-1".into(),
            },
            Err("invalid_state"),
        ),
        case(
            "cancel a held ticket",
            held1,
            citizen,
            || C::Cancel {
                token: "tok-1".into(),
            },
            Err("invalid_state"),
        ),
        case(
            "cancel an unknown token",
            waiting1,
            citizen,
            || C::Cancel {
                token: "nope".into(),
            },
            Err("unknown_ticket"),
        ),
        // who may act
        case(
            "clerk at another clerk's window: call",
            waiting1,
            c2,
            || C::CallNext { window: 1 },
            Err("not_your_window"),
        ),
        case(
            "clerk at another clerk's window: pause",
            open1,
            c2,
            || C::Pause {
                window: 1,
                reason: "x".into(),
                until: None,
            },
            Err("not_your_window"),
        ),
        case(
            "clerk at another clerk's window: finish",
            called1,
            c2,
            || C::Finish {
                window: 1,
                outcome: Outcome::Done,
                note: None,
            },
            Err("not_your_window"),
        ),
        case(
            "manager at a clerk's window",
            waiting1,
            mgr,
            || C::CallNext { window: 1 },
            Ok(CALLED),
        ),
        case(
            "kiosk calls next",
            waiting1,
            kiosk,
            || C::CallNext { window: 1 },
            Err("forbidden"),
        ),
        case(
            "display pauses",
            open1,
            display,
            || C::Pause {
                window: 1,
                reason: "x".into(),
                until: None,
            },
            Err("forbidden"),
        ),
        case(
            "display finishes",
            called1,
            display,
            || C::Finish {
                window: 1,
                outcome: Outcome::Done,
                note: None,
            },
            Err("forbidden"),
        ),
        case(
            "citizen calls next",
            waiting1,
            citizen,
            || C::CallNext { window: 1 },
            Err("forbidden"),
        ),
        case(
            "kiosk issues",
            none,
            kiosk,
            || issue_cmd("a", "t-x"),
            Ok(&["ticket.issued"]),
        ),
        case(
            "clerk issues",
            none,
            c1,
            || issue_cmd("a", "t-x"),
            Ok(&["ticket.issued"]),
        ),
        case(
            "display issues",
            none,
            display,
            || issue_cmd("a", "t-x"),
            Err("forbidden"),
        ),
        case(
            "citizen issues",
            none,
            citizen,
            || issue_cmd("a", "t-x"),
            Err("forbidden"),
        ),
        case(
            "display reprints",
            waiting1,
            display,
            || C::Reprint {
                ticket: TicketId(1),
            },
            Err("forbidden"),
        ),
        case(
            "kiosk reprints",
            waiting1,
            kiosk,
            || C::Reprint {
                ticket: TicketId(1),
            },
            Ok(&["ticket.reprinted"]),
        ),
    ];
    let mut names = BTreeSet::new();
    for c in cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
        let mut f = Fx::new();
        (c.setup)(&mut f);
        f.h.take_changes();
        let before = f.h.snapshot(0, f.now);
        let got = f.run(&(c.actor)(), (c.cmd)());
        match (&got, c.want) {
            (Ok(events), Ok(want)) => assert_eq!(kinds(events), want, "{}", c.name),
            (Err(e), Err(want)) => {
                assert_eq!(e.code(), want, "{}", c.name);
                // A refusal changes nothing: no rows to write, same views.
                let ch = f.h.take_changes();
                assert!(
                    ch.tickets.is_empty() && ch.windows.is_empty() && ch.counters.is_empty(),
                    "{}: a refused command left changes {ch:?}",
                    c.name
                );
                let after = f.h.snapshot(0, f.now);
                assert_eq!(
                    serde_json::to_value(&before).expect("json"),
                    serde_json::to_value(&after).expect("json"),
                    "{}: a refused command changed the state",
                    c.name
                );
            }
            (got, want) => panic!(
                "{}: got {:?}, want {want:?}",
                c.name,
                got.as_ref().map(|e| kinds(e)).map_err(|e| e.code())
            ),
        }
    }
}

#[test]
fn recall_limit_comes_from_the_rules() {
    for limit in [0, 1, 3] {
        let mut f = Fx::with(|p| p.rules.recall_limit = limit, at("14:00"));
        called1(&mut f);
        for i in 1..=limit {
            let ev = f.ok(&c1(), Command::Recall { window: 1 });
            match &ev[..] {
                [
                    Event::TicketRecalled {
                        recall_count,
                        announce,
                        ..
                    },
                ] => {
                    assert_eq!(*recall_count, i);
                    assert_eq!(announce.text, "请A001号到1号窗口办理");
                }
                other => panic!("limit {limit}: {other:?}"),
            }
        }
        assert_eq!(
            code(f.run(&c1(), Command::Recall { window: 1 })),
            "recall_limit",
            "limit {limit}"
        );
        // The clerk may still mark the no-show.
        let ev = f.ok(
            &c1(),
            Command::NoShow {
                window: 1,
                reason: Some("  ".into()),
            },
        );
        match &ev[..] {
            [Event::TicketNoShow { reason, .. }] => assert_eq!(reason, "not_present"),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.t(TicketId(1)).state, TicketState::NoShow);
        assert_eq!(f.current(1), None);
    }
}

#[test]
fn a_pause_may_say_when_the_clerk_is_back() {
    // (now, until as given, accepted as)
    let cases: [(&str, &str, Result<&str, &str>); 7] = [
        ("12:00", "13:30", Ok("2026-11-27T13:30:00.000+08:00")),
        ("12:00", " 13:30 ", Ok("2026-11-27T13:30:00.000+08:00")),
        (
            "12:00",
            "2026-11-27T05:30:00Z",
            Ok("2026-11-27T13:30:00.000+08:00"),
        ),
        ("12:00", "11:59", Err("invalid_until")),
        ("12:00", "12:00", Err("invalid_until")),
        ("12:00", "2026-11-28T09:00:00+08:00", Err("invalid_until")),
        ("12:00", "half past one", Err("invalid_until")),
    ];
    for (now, until, want) in cases {
        let mut f = Fx::new();
        f.set(now);
        f.sign_in(&c1(), 1);
        let got = f.run(
            &c1(),
            Command::Pause {
                window: 1,
                reason: "lunch".into(),
                until: Some(until.into()),
            },
        );
        let v = f.h.window_view(1).expect("window 1");
        match (want, got) {
            (Ok(at), Ok(ev)) => {
                assert!(
                    matches!(&ev[..], [Event::WindowPaused { until: Some(u), .. }] if u == at),
                    "{until}: {ev:?}"
                );
                assert_eq!(v.pause_until.as_deref(), Some(at), "{until}");
                // Resuming (or any later pause without a time) forgets it.
                f.ok(&c1(), Command::Resume { window: 1 });
                assert_eq!(f.h.window_view(1).expect("w").pause_until, None);
            }
            (Err(code), Err(e)) => {
                assert_eq!(e.code(), code, "{until}");
                // A refusal leaves no trace: the window is still open.
                assert_eq!((v.status, v.pause_until), ("open", None), "{until}");
            }
            (want, got) => panic!("{until}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn sign_out_reasons_and_window_views() {
    let mut f = Fx::new();
    f.sign_in(&c1(), 1);
    let v = f.h.window_view(1).expect("window 1");
    assert_eq!(
        (v.status, v.clerk.map(|c| c.name)),
        ("open", Some("李红".to_string()))
    );
    f.ok(
        &c1(),
        Command::Pause {
            window: 1,
            reason: " 午休 ".into(),
            until: None,
        },
    );
    let v = f.h.window_view(1).expect("window 1");
    assert_eq!(
        (v.status, v.pause_reason.as_deref()),
        ("paused", Some("午休"))
    );
    let cases = [(c1(), "clerk"), (mgr(), "manager")];
    for (who, want) in cases {
        f.sign_in(&c1(), 1);
        let ev = f.ok(&who, Command::SignOut { window: 1 });
        match &ev[..] {
            [Event::WindowSignedOut { reason, clerk, .. }] => {
                assert_eq!(reason, want);
                assert_eq!(clerk.username, "c1");
            }
            other => panic!("{other:?}"),
        }
        let v = f.h.window_view(1).expect("window 1");
        assert_eq!((v.status, v.clerk), ("closed", None));
    }
    // Once signed out, the clerk may sign in elsewhere and c2 may take window 1.
    f.sign_in(&c1(), 2);
    f.sign_in(&c2(), 1);
}

#[test]
fn finish_sets_outcome_clerk_and_service_time() {
    // (name, start at, outcome, note, service_s): called at 14:00:00, finished at 14:10:00.
    let cases: Vec<(&str, Option<&str>, Outcome, Option<&str>, i64)> = vec![
        (
            "from called: counted from the call",
            None,
            Outcome::Consultation,
            None,
            600,
        ),
        (
            "from serving: counted from the start",
            Some("14:02"),
            Outcome::Promised,
            Some(" 7日内办结 "),
            480,
        ),
        (
            "started at once",
            Some("14:00"),
            Outcome::Supplement,
            Some("  "),
            600,
        ),
    ];
    for (name, start, outcome, note, want_s) in cases {
        let mut f = Fx::with(|_| {}, at("13:59"));
        f.sign_in(&c1(), 1);
        let id = f.issue("a");
        f.set("14:00");
        f.call_next(&c1(), 1).expect("called");
        if let Some(s) = start {
            f.set(s);
            f.ok(&c1(), Command::Start { window: 1 });
        }
        f.set("14:10");
        let ev = f.ok(
            &c1(),
            Command::Finish {
                window: 1,
                outcome,
                note: note.map(Into::into),
            },
        );
        match &ev[..] {
            [
                Event::TicketFinished {
                    outcome: o,
                    service_s,
                    ..
                },
            ] => {
                assert_eq!((*o, *service_s), (outcome, want_s), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        let t = f.t(id);
        assert_eq!(t.state, TicketState::Done, "{name}");
        assert_eq!(t.outcome, Some(outcome), "{name}");
        assert_eq!(t.clerk.as_deref(), Some("c1"), "{name}");
        assert_eq!(
            t.note.as_deref(),
            note.map(str::trim).filter(|n| !n.is_empty()),
            "{name}"
        );
        assert_eq!(t.finished_at, Some(at("14:10")), "{name}");
        assert_eq!(t.wait_s(), Some(60), "{name}");
        assert_eq!(f.current(1), None, "{name}");
    }
}

#[test]
fn hold_and_call_back() {
    let mut f = Fx::new();
    f.sign_in(&c1(), 1);
    let a1 = f.issue("a");
    let a2 = f.issue("a");
    f.call_next(&c1(), 1);
    f.ok(&c1(), Command::Start { window: 1 });
    f.ok(&c1(), Command::Hold { window: 1 });
    assert_eq!(f.t(a1).state, TicketState::Held);
    let v = f.h.window_view(1).expect("window 1");
    assert_eq!(
        v.held.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(),
        ["A001"]
    );
    assert_eq!(v.waiting, 1);
    // The held ticket is not called by call-next.
    assert_eq!(
        f.call_next(&c1(), 1),
        Some(("A002".into(), CallReason::Oldest))
    );
    f.finish(&c1(), 1);
    assert_eq!(f.call_next(&c1(), 1), None);
    let ev = f.ok(
        &c1(),
        Command::CallBack {
            window: 1,
            number: "A001".into(),
        },
    );
    assert_eq!(called(&ev), Some(("A001".into(), CallReason::CallBack)));
    let t = f.t(a1);
    assert_eq!(
        (t.state, t.window, t.started_at),
        (TicketState::Called, Some(1), None)
    );
    assert!(f.h.window_view(1).expect("window 1").held.is_empty());
    assert_eq!(f.t(a2).state, TicketState::Done);
}

#[test]
fn transfer_positions_change_the_call_order() {
    // B001 14:00, B002 14:01, A001 14:02, B003 14:03; window 1 calls A001 (tier a first)
    // at 14:05 and sends it to queue b; window 2 (b only) then calls everything.
    let cases = [
        (Position::Front, ["A001", "B001", "B002", "B003"]),
        (Position::Original, ["B001", "B002", "A001", "B003"]),
        (Position::Back, ["B001", "B002", "B003", "A001"]),
    ];
    for (position, want) in cases {
        let mut f = Fx::new();
        f.sign_in(&c1(), 1);
        f.sign_in(&c2(), 2);
        for (q, hm) in [
            ("b", "14:00"),
            ("b", "14:01"),
            ("a", "14:02"),
            ("b", "14:03"),
        ] {
            f.set(hm);
            f.issue(q);
        }
        f.set("14:05");
        assert_eq!(
            f.call_next(&c1(), 1),
            Some(("A001".into(), CallReason::Tier))
        );
        f.set("14:06");
        let ev = f.ok(
            &c1(),
            Command::Transfer {
                window: 1,
                to_queue: Some("b".into()),
                to_window: None,
                position,
                reason: Some(" 查询 ".into()),
            },
        );
        match &ev[..] {
            [
                Event::TicketTransferred {
                    ticket,
                    from_queue,
                    to_queue,
                    to_window,
                    position: p,
                    reason,
                    from_window,
                },
            ] => {
                assert_eq!(
                    (ticket.number.as_str(), ticket.queue.as_str()),
                    ("A001", "b")
                );
                assert_eq!(
                    (from_queue.as_str(), to_queue.as_str(), *to_window),
                    ("a", "b", None)
                );
                assert_eq!(
                    (
                        *p,
                        reason.as_ref().map(ToString::to_string).as_deref(),
                        from_window.number
                    ),
                    (position, Some("查询"), 1)
                );
            }
            other => panic!("{position:?}: {other:?}"),
        }
        assert_eq!(f.current(1), None, "{position:?}: window 1 let go");
        let a = f.t(TicketId(3)).clone();
        assert_eq!(
            (a.state, a.queue.as_str(), a.original_queue.as_str()),
            (TicketState::Waiting, "b", "a")
        );
        assert_eq!((a.transfer_count, a.window, a.called_at), (1, None, None));
        let mut order = Vec::new();
        f.set("14:30");
        while let Some((number, _)) = f.call_next(&c2(), 2) {
            order.push(number);
            f.later(60);
            f.finish(&c2(), 2);
        }
        assert_eq!(order, want, "{position:?}");
        // Wait time: first issue (14:02) to first call (14:05), across the transfer.
        let a = f.t(TicketId(3));
        assert_eq!(a.wait_s(), Some(180), "{position:?}");
        assert_eq!(f.h.ticket_view(a).wait_s, Some(180), "{position:?}");
        assert_eq!(a.number, "A001", "{position:?}: the number is kept");
    }
}

#[test]
fn transfer_to_a_window() {
    let mut f = Fx::new();
    f.sign_in(&c1(), 1);
    f.sign_in(&c2(), 3);
    f.sign_in(&c3(), 2);
    f.set("14:00");
    f.issue("b");
    f.issue("b");
    f.set("14:01");
    let a1 = f.issue("a");
    f.set("14:02");
    assert_eq!(
        f.call_next(&c1(), 1),
        Some(("A001".into(), CallReason::Tier))
    );
    f.set("14:03");
    f.ok(
        &c1(),
        Command::Transfer {
            window: 1,
            to_queue: None,
            to_window: Some(3),
            position: Position::Back,
            reason: None,
        },
    );
    assert_eq!(f.t(a1).target_window, Some(3));
    assert_eq!(
        f.h.window_view(1).expect("w1").waiting,
        2,
        "window 1 no longer counts A001"
    );
    assert_eq!(f.h.window_view(3).expect("w3").waiting, 3);
    assert_eq!(f.h.public_ticket(f.t(a1)).windows, [3]);
    // Not callable elsewhere: neither by call-next nor by number.
    assert_eq!(
        code(f.run(
            &c1(),
            Command::Call {
                window: 1,
                number: "A001".into(),
                reason: "x".into()
            }
        )),
        "ticket_not_callable"
    );
    assert_eq!(
        f.call_next(&c1(), 1),
        Some(("B001".into(), CallReason::Oldest))
    );
    f.finish(&c1(), 1);
    assert_eq!(
        f.call_next(&c3(), 2),
        Some(("B002".into(), CallReason::Oldest))
    );
    f.finish(&c3(), 2);
    assert_eq!(f.call_next(&c1(), 1), None);
    assert_eq!(f.call_next(&c3(), 2), None);
    // At window 3 it comes first, even before an older ticket and a green-channel one.
    f.green("b");
    assert_eq!(
        f.call_next(&c2(), 3),
        Some(("A001".into(), CallReason::Transferred))
    );
    let t = f.t(a1);
    assert_eq!(
        (t.state, t.window, t.target_window),
        (TicketState::Called, Some(3), None)
    );
    assert_eq!(t.wait_s(), Some(60), "issued 14:01, first called 14:02");
    assert_eq!(
        f.call_next(&c1(), 1),
        Some(("B003".into(), CallReason::GreenChannel))
    );
}

// ---- 2. numbering ------------------------------------------------------------------------

#[test]
fn numbers_are_prefixed_padded_and_gap_free() {
    let mut f = Fx::with(|p| p.queues[0].daily_quota = 999, at("14:00"));
    // (queue, phone, expected number or error code), issued in this order.
    let script: Vec<(&str, Option<&str>, &str)> = vec![
        ("a", None, "A001"),
        ("b", None, "B001"),
        ("a", None, "A002"),
        ("h", None, "H0001"),
        ("a", Some("123"), "invalid_phone"),
        ("a", None, "A003"),
        ("r", None, "id_number_required"),
        ("h", Some("13812345678"), "H0002"),
        ("zz", None, "unknown_queue"),
        ("b", None, "B002"),
    ];
    for (q, phone, want) in script {
        let got = f
            .try_issue(q, Priority::Normal, None, phone)
            .map(|id| f.number(id));
        match got {
            Ok(n) => assert_eq!(n, want),
            Err(e) => assert_eq!(e.code(), want),
        }
    }
    // Cancelling never gives a number back.
    f.ok(
        &citizen(),
        Command::Cancel {
            token: "tok-6".into(),
        },
    );
    let next = f.issue("a");
    assert_eq!(f.number(next), "A004");
    let view = f.h.queue_views(f.now);
    let a = view.iter().find(|q| q.id == "a").expect("a");
    assert_eq!((a.issued, a.waiting), (4, 3));
    // Sequence numbers beyond the padding still print.
    let mut g = Fx::with(|p| p.queues[0].daily_quota = 999, at("14:00"));
    for _ in 0..12 {
        g.issue("a");
    }
    assert_eq!(g.number(TicketId(12)), "A012");
}

#[test]
fn numbering_restarts_at_the_next_local_day() {
    let day1_2359 = ts("2026-11-27T23:59:00+08:00");
    let day2_0001 = ts("2026-11-28T00:01:00+08:00");
    // 00:01 in Shanghai is still the 27th in UTC: the day is the hall's, not UTC's.
    assert_eq!(
        TimeZone::UTC.to_datetime(day2_0001).date(),
        jiff::civil::date(2026, 11, 27)
    );
    let mut f = Fx::with(
        |p| p.rules.always_open = true,
        ts("2026-11-27T23:50:00+08:00"),
    );
    f.sign_in(&c1(), 1);
    f.sign_in(&c2(), 2);
    f.ok(
        &c2(),
        Command::Pause {
            window: 2,
            reason: "x".into(),
            until: None,
        },
    );
    f.now = day1_2359;
    let old_a1 = f.issue("a");
    let old_a2 = f.issue("a");
    let old_b1 = f.issue("b");
    f.issue("h");
    assert_eq!(f.number(old_a2), "A002");
    f.call_next(&c1(), 1);
    // Same day: nothing happens.
    assert!(f.h.tick(ts("2026-11-27T23:59:59+08:00")).is_empty());

    f.now = day2_0001;
    // The engine lets time pass before each command.
    let mut events = f.h.tick(f.now);
    events.extend(f.ok(&kiosk(), issue_cmd("a", "tok-new")));
    let mut abandoned: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::TicketAbandoned { ticket } => Some(ticket.number.clone()),
            _ => None,
        })
        .collect();
    abandoned.sort();
    assert_eq!(
        abandoned,
        ["A001", "A002", "B001", "H0001"],
        "called and waiting tickets are abandoned"
    );
    let signed_out: Vec<(u32, SignOutReason)> = events
        .iter()
        .filter_map(|e| match e {
            Event::WindowSignedOut { window, reason, .. } => Some((window.number, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        signed_out,
        [(1, SignOutReason::DayEnd), (2, SignOutReason::DayEnd)]
    );
    assert_eq!(events.last().map(Event::kind), Some("ticket.issued"));
    let new = f.h.ticket_by_token("tok-new").expect("issued").clone();
    assert_eq!(
        (new.number.as_str(), new.service_day),
        ("A001", jiff::civil::date(2026, 11, 28))
    );
    assert_eq!(f.h.day(), jiff::civil::date(2026, 11, 28));
    // Yesterday is gone from memory but written once more as abandoned.
    for id in [old_a1, old_a2, old_b1] {
        assert!(f.h.ticket(id).is_none());
    }
    let ch = f.h.take_changes();
    let states: BTreeMap<i64, TicketState> = ch.tickets.iter().map(|t| (t.id.0, t.state)).collect();
    assert_eq!(states[&old_a1.0], TicketState::Abandoned);
    assert_eq!(states[&old_b1.0], TicketState::Abandoned);
    assert_eq!(states[&new.id.0], TicketState::Waiting);
    assert!(
        ch.counters
            .contains(&(jiff::civil::date(2026, 11, 28), "a".to_string(), 1))
    );
    for n in [1, 2] {
        let v = f.h.window_view(n).expect("window");
        assert_eq!(
            (v.status, v.clerk, v.current.is_none()),
            ("closed", None, true)
        );
    }
    // "A001" now names today's ticket only.
    f.sign_in(&c1(), 1);
    assert_eq!(
        f.call_next(&c1(), 1),
        Some(("A001".into(), CallReason::Oldest))
    );
    assert_eq!(f.t(new.id).state, TicketState::Called);
    let next = f.issue("b");
    assert_eq!(f.number(next), "B001");
}

#[test]
fn tick_clears_yesterday_by_itself() {
    let mut f = Fx::with(|_| {}, at("16:00"));
    f.sign_in(&c1(), 1);
    let a1 = f.issue("a");
    let a2 = f.issue("a");
    f.call_next(&c1(), 1);
    f.ok(&c1(), Command::Start { window: 1 });
    f.ok(&c1(), Command::Hold { window: 1 });
    assert!(f.h.tick(at("23:59:59")).is_empty());
    let events = f.h.tick(ts("2026-11-28T00:00:00+08:00"));
    assert_eq!(
        kinds(&events),
        ["ticket.abandoned", "ticket.abandoned", "window.signed_out"]
    );
    let ids: Vec<TicketId> = events
        .iter()
        .filter_map(|e| e.ticket().map(|t| t.id))
        .collect();
    assert_eq!(ids, [a1, a2]);
    assert!(
        matches!(&events[2], Event::WindowSignedOut { reason, .. } if *reason == SignOutReason::DayEnd)
    );
    assert!(
        f.h.tick(ts("2026-11-28T00:00:30+08:00")).is_empty(),
        "only once a day"
    );
}

// ---- 3. quotas and hours -----------------------------------------------------------------

#[test]
fn quotas_and_hours() {
    // (name, always_open, issues before as (queue, time), queue, time, expected)
    type Case = (
        &'static str,
        bool,
        Vec<(&'static str, &'static str)>,
        &'static str,
        &'static str,
        &'static str,
    );
    let three_a = || vec![("a", "10:00"), ("a", "10:01"), ("a", "10:02")];
    let cases: Vec<Case> = vec![
        (
            "below the daily quota",
            false,
            vec![("a", "10:00"), ("a", "10:01")],
            "a",
            "10:05",
            "ok",
        ),
        (
            "at the daily quota",
            false,
            three_a(),
            "a",
            "10:05",
            "quota_exhausted",
        ),
        ("quota is per queue", false, three_a(), "b", "14:00", "ok"),
        (
            "before opening",
            false,
            vec![],
            "a",
            "08:59:59",
            "queue_closed",
        ),
        ("at opening", false, vec![], "a", "09:00", "ok"),
        (
            "just before the last issue",
            false,
            vec![],
            "a",
            "16:29:59",
            "ok",
        ),
        (
            "at the last issue",
            false,
            vec![],
            "a",
            "16:30",
            "queue_closed",
        ),
        (
            "in the evening",
            false,
            vec![],
            "a",
            "20:00",
            "queue_closed",
        ),
        ("at 03:00", false, vec![], "a", "03:00", "queue_closed"),
        ("always open at 03:00", true, vec![], "a", "03:00", "ok"),
        (
            "always open still has a quota",
            true,
            vec![("a", "02:00"), ("a", "02:01"), ("a", "02:02")],
            "a",
            "03:00",
            "quota_exhausted",
        ),
        (
            "band below its quota",
            false,
            vec![("b", "09:30")],
            "b",
            "11:59:59",
            "ok",
        ),
        (
            "band at its quota",
            false,
            vec![("b", "09:30"), ("b", "10:00")],
            "b",
            "11:59:59",
            "quota_exhausted",
        ),
        (
            "after the band",
            false,
            vec![("b", "09:30"), ("b", "10:00")],
            "b",
            "12:00",
            "ok",
        ),
        (
            "afternoon tickets don't fill the band",
            false,
            vec![("b", "12:00"), ("b", "13:00")],
            "b",
            "13:30",
            "ok",
        ),
        (
            "unknown queue",
            false,
            vec![],
            "zz",
            "10:00",
            "unknown_queue",
        ),
    ];
    for (name, always_open, before, q, hm, want) in cases {
        let mut f = Fx::with(|p| p.rules.always_open = always_open, at("00:30"));
        for (bq, bt) in before {
            f.set(bt);
            f.issue(bq);
        }
        f.set(hm);
        let got = f.try_issue(q, Priority::Normal, None, None);
        assert_eq!(code(got), want, "{name}");
    }
}

#[test]
fn cancelled_tickets_still_count_against_the_quota_and_views_say_why() {
    let mut f = Fx::with(|_| {}, at("08:00"));
    let qv = |f: &Fx, q: &str| {
        f.h.queue_views(f.now)
            .into_iter()
            .find(|v| v.id == q)
            .expect("queue")
    };
    let v = qv(&f, "a");
    assert_eq!((v.open, v.closed_reason), (false, Some("queue_closed")));
    f.set("10:00");
    for _ in 0..3 {
        f.issue("a");
    }
    f.ok(
        &citizen(),
        Command::Cancel {
            token: "tok-2".into(),
        },
    );
    assert_eq!(
        code(f.try_issue("a", Priority::Normal, None, None)),
        "quota_exhausted"
    );
    let v = qv(&f, "a");
    assert_eq!(
        (v.open, v.closed_reason, v.issued, v.daily_quota),
        (false, Some("quota_exhausted"), 3, 3)
    );
    assert!(qv(&f, "b").open);
}

// ---- 4. real-name issuing ------------------------------------------------------------------

const ID: &str = "11010519491231002X";
const BAD_ID: &str = "110105194912310021";

#[test]
fn real_name_issuing() {
    let mut f = Fx::new();
    // (name, queue, id, phone, expected), in order on one hall.
    let script: Vec<(&str, &str, Option<&str>, Option<&str>, &str)> = vec![
        ("no ID", "r", None, None, "id_number_required"),
        ("blank ID", "r", Some("   "), None, "id_number_required"),
        (
            "wrong check digit",
            "r",
            Some(BAD_ID),
            None,
            "invalid_id_number",
        ),
        (
            "too short",
            "r",
            Some("1101051949"),
            None,
            "invalid_id_number",
        ),
        (
            "valid ID, bad phone",
            "r",
            Some(ID),
            Some("12345678901"),
            "invalid_phone",
        ),
        (
            "valid ID and phone",
            "r",
            Some(ID),
            Some("13812345678"),
            "ok",
        ),
        ("same ID again", "r", Some(ID), None, "duplicate_ticket"),
        (
            "same ID, lower-case x",
            "r",
            Some("11010519491231002x"),
            None,
            "duplicate_ticket",
        ),
        ("same ID in another queue", "a", Some(ID), None, "ok"),
        (
            "invalid ID in a queue that doesn't need one",
            "a",
            Some(BAD_ID),
            None,
            "invalid_id_number",
        ),
        (
            "phone with spaces trimmed",
            "a",
            None,
            Some(" 13912345678 "),
            "ok",
        ),
    ];
    for (name, q, id, phone, want) in script {
        assert_eq!(
            code(f.try_issue(q, Priority::Normal, id, phone)),
            want,
            "{name}"
        );
    }
    let r =
        f.h.ticket_by_token("tok-6")
            .expect("the real-name ticket")
            .clone();
    let hash = r.id_hash.clone().expect("hashed");
    assert_ne!(hash, ID);
    assert!(
        !hash.to_ascii_uppercase().contains("110105"),
        "the hash is not the ID"
    );
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(r.id_last4.as_deref(), Some("002X"));
    assert_eq!(r.phone.as_deref(), Some("13812345678"));
    // Same key, same person → same hash (the other queue's ticket).
    let other = f.h.ticket_by_token("tok-9").expect("ticket in a");
    assert_eq!(other.id_hash.as_deref(), Some(hash.as_str()));
    // Nothing personal in the events or views.
    let json = serde_json::to_string(&f.h.issued_ticket(&r)).expect("json")
        + &serde_json::to_string(&f.h.public_ticket(&r)).expect("json")
        + &serde_json::to_string(&f.h.ticket_view(&r)).expect("json");
    for secret in ["110105", "13812345678", hash.as_str()] {
        assert!(!json.contains(secret), "{secret} leaked");
    }
    // A different key gives a different hash.
    let mut g = Fx::new();
    g.h = Hall::restore(
        Arc::new(plan()),
        b"another key".to_vec(),
        g.now,
        Restored::default(),
    );
    let id = g
        .try_issue("r", Priority::Normal, Some(ID), None)
        .expect("issued");
    assert_ne!(g.t(id).id_hash.as_deref(), Some(hash.as_str()));
}

#[test]
fn real_name_allowed_again_once_the_first_ticket_is_closed() {
    // (name, how the first ticket ends, second allowed?)
    type End = fn(&mut Fx);
    let cases: Vec<(&str, End, &str)> = vec![
        ("still waiting", |_| {}, "duplicate_ticket"),
        (
            "called",
            |f| {
                f.call_next(&c1(), 4);
            },
            "duplicate_ticket",
        ),
        (
            "held",
            |f| {
                f.call_next(&c1(), 4);
                f.ok(&c1(), Command::Hold { window: 4 });
            },
            "duplicate_ticket",
        ),
        (
            "transferred back into the line",
            |f| {
                f.call_next(&c1(), 4);
                f.ok(
                    &c1(),
                    Command::Transfer {
                        window: 4,
                        to_queue: None,
                        to_window: Some(4),
                        position: Position::Back,
                        reason: None,
                    },
                );
            },
            "duplicate_ticket",
        ),
        (
            "done",
            |f| {
                f.call_next(&c1(), 4);
                f.finish(&c1(), 4);
            },
            "ok",
        ),
        (
            "no-show",
            |f| {
                f.call_next(&c1(), 4);
                f.ok(
                    &c1(),
                    Command::NoShow {
                        window: 4,
                        reason: None,
                    },
                );
            },
            "ok",
        ),
        (
            "cancelled",
            |f| {
                f.ok(
                    &citizen(),
                    Command::Cancel {
                        token: "tok-1".into(),
                    },
                );
            },
            "ok",
        ),
    ];
    for (name, end, want) in cases {
        let mut f = Fx::new();
        f.sign_in(&c1(), 4);
        f.try_issue("r", Priority::Normal, Some(ID), None)
            .expect("first");
        end(&mut f);
        assert_eq!(
            code(f.try_issue("r", Priority::Normal, Some(ID), None)),
            want,
            "{name}"
        );
    }
}

// ---- 5. routing through the hall ------------------------------------------------------------

#[test]
fn routing_through_the_hall() {
    // (name, issues as (queue, green, time), window, expected calls in order)
    type Case = (
        &'static str,
        Vec<(&'static str, bool, &'static str)>,
        u32,
        Vec<(&'static str, CallReason)>,
    );
    use CallReason::*;
    let cases: Vec<Case> = vec![
        (
            "green channel first",
            vec![("a", false, "14:00"), ("a", true, "14:01")],
            1,
            vec![("A002", GreenChannel), ("A001", Oldest)],
        ),
        (
            "anti-starvation: after 2 greens an ordinary one",
            vec![
                ("b", false, "14:00"),
                ("b", true, "14:01"),
                ("b", true, "14:02"),
                ("b", true, "14:03"),
                ("b", false, "14:04"),
            ],
            2,
            vec![
                ("B002", GreenChannel),
                ("B003", GreenChannel),
                ("B001", Fairness),
                ("B004", GreenChannel),
                ("B005", Oldest),
            ],
        ),
        (
            "only greens wait: no fairness needed",
            vec![
                ("b", true, "14:01"),
                ("b", true, "14:02"),
                ("b", true, "14:03"),
            ],
            2,
            vec![
                ("B001", GreenChannel),
                ("B002", GreenChannel),
                ("B003", GreenChannel),
            ],
        ),
        (
            "tier: window 1 calls a before an older b",
            vec![("b", false, "14:00"), ("a", false, "14:05")],
            1,
            vec![("A001", Tier), ("B001", Oldest)],
        ),
        (
            "green in the secondary tier waits for the window's own tier",
            vec![("b", true, "14:00"), ("a", false, "14:01")],
            1,
            vec![("A001", Tier), ("B001", GreenChannel)],
        ),
        (
            "comprehensive window: oldest first",
            vec![
                ("b", false, "14:00"),
                ("a", false, "14:05"),
                ("b", false, "14:06"),
            ],
            3,
            vec![("B001", Oldest), ("A001", Oldest), ("B002", Oldest)],
        ),
        (
            "window 2 never calls queue a",
            vec![("a", false, "14:00")],
            2,
            vec![],
        ),
        (
            "window 4: own queue before the secondary one",
            vec![("h", false, "14:00"), ("h", false, "14:01")],
            4,
            vec![("H0001", Oldest), ("H0002", Oldest)],
        ),
    ];
    for (name, issues, window, want) in cases {
        let mut f = Fx::with(|_| {}, at("13:00"));
        f.sign_in(&c1(), window);
        for (q, green, hm) in issues {
            f.set(hm);
            if green {
                f.green(q)
            } else {
                f.issue(q)
            };
        }
        f.set("14:30");
        let mut got = Vec::new();
        while let Some((number, reason)) = f.call_next(&c1(), window) {
            // The reason is recorded in the event; the event names the window.
            got.push((number, reason));
            f.later(30);
            f.finish(&c1(), window);
        }
        let want: Vec<(String, CallReason)> =
            want.into_iter().map(|(n, r)| (n.to_string(), r)).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn called_event_carries_window_reason_note_and_announcement() {
    let mut f = Fx::new();
    f.sign_in(&c1(), 1);
    f.issue("a");
    f.issue("a");
    let ev = f.ok(
        &c1(),
        Command::Call {
            window: 1,
            number: "A002".into(),
            reason: " 老人 ".into(),
        },
    );
    match &ev[..] {
        [
            Event::TicketCalled {
                ticket,
                window,
                reason,
                note,
                announce,
            },
        ] => {
            assert_eq!(
                (ticket.number.as_str(), window.number, window.name.as_str()),
                ("A002", 1, "1号窗口")
            );
            assert_eq!(
                (*reason, note.as_ref().map(ToString::to_string).as_deref()),
                (CallReason::Specific, Some("老人"))
            );
            assert_eq!(announce.text, "请A002号到1号窗口办理");
            assert_eq!(announce.screen_text, "请 A002 到 1 号窗口办理");
            assert_eq!(announce.clips.first().map(String::as_str), Some("chime"));
        }
        other => panic!("{other:?}"),
    }
    let snap = f.h.snapshot(1, f.now);
    assert_eq!(snap.recent_calls.len(), 1);
    assert_eq!(snap.recent_calls[0].text, "请 A002 到 1 号窗口办理");
}

#[test]
fn specific_and_transferred_calls_do_not_break_the_green_streak() {
    // ratio 2: green, (specific ordinary), green → next must be Fairness.
    let mut f = Fx::new();
    f.sign_in(&c1(), 2);
    f.issue("b"); // B001 ordinary, oldest
    f.issue("b"); // B002 ordinary
    for _ in 0..3 {
        f.green("b"); // B003..B005
    }
    let step = |f: &mut Fx, cmd: Option<Command>| {
        let got = match cmd {
            Some(c) => called(&f.ok(&c1(), c)),
            None => f.call_next(&c1(), 2),
        };
        f.finish(&c1(), 2);
        got
    };
    use CallReason::*;
    assert_eq!(step(&mut f, None), Some(("B003".into(), GreenChannel)));
    let specific = Command::Call {
        window: 2,
        number: "B002".into(),
        reason: "预约".into(),
    };
    assert_eq!(
        step(&mut f, Some(specific)),
        Some(("B002".into(), Specific))
    );
    assert_eq!(step(&mut f, None), Some(("B004".into(), GreenChannel)));
    assert_eq!(step(&mut f, None), Some(("B001".into(), Fairness)));
    assert_eq!(step(&mut f, None), Some(("B005".into(), GreenChannel)));
}

// ---- 6. concurrent windows -------------------------------------------------------------------

#[test]
fn windows_calling_in_turn_never_share_a_ticket() {
    let mut f = Fx::with(|p| p.queues[0].daily_quota = 50, at("13:00"));
    let clerks = [(c1(), 1), (c3(), 2), (c2(), 3)];
    for (who, w) in &clerks {
        f.sign_in(who, *w);
    }
    let mut issued = BTreeSet::new();
    for i in 0..12 {
        let q = if i % 3 == 0 { "a" } else { "b" };
        let id = if i % 5 == 0 { f.green(q) } else { f.issue(q) };
        issued.insert(f.number(id));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut idle_rounds = 0;
    while idle_rounds < 2 {
        let mut any = false;
        for (who, w) in &clerks {
            if f.current(*w).is_some() {
                f.finish(who, *w);
            }
            if let Some((n, _)) = f.call_next(who, *w) {
                any = true;
                seen.push(n);
            }
            // At every moment the windows hold different tickets.
            let held: Vec<String> = clerks.iter().filter_map(|(_, w)| f.current(*w)).collect();
            let unique: BTreeSet<&String> = held.iter().collect();
            assert_eq!(
                unique.len(),
                held.len(),
                "two windows hold the same ticket: {held:?}"
            );
        }
        idle_rounds = if any { 0 } else { idle_rounds + 1 };
        f.later(10);
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a ticket was called twice: {seen:?}"
    );
    assert_eq!(unique, issued, "every ticket was called once");
}

// ---- 7. take_changes and restore -------------------------------------------------------------

#[test]
fn take_changes_names_the_touched_rows() {
    let mut f = Fx::new();
    let ch = f.h.take_changes();
    assert!(ch.tickets.is_empty() && ch.windows.is_empty() && ch.counters.is_empty());
    let day = f.h.day();
    let ids = |ch: &Changes| {
        ch.tickets
            .iter()
            .map(|t| (t.id.0, t.state))
            .collect::<Vec<_>>()
    };
    let wins = |ch: &Changes| {
        ch.windows
            .iter()
            .map(|w| (w.number, w.status, w.current))
            .collect::<Vec<_>>()
    };

    let a1 = f.issue("a");
    let ch = f.h.take_changes();
    assert_eq!(ids(&ch), [(a1.0, TicketState::Waiting)]);
    assert!(ch.windows.is_empty());
    assert_eq!(ch.counters, [(day, "a".to_string(), 1)]);
    assert!(f.h.take_changes().tickets.is_empty(), "taken once");

    f.sign_in(&c1(), 1);
    let ch = f.h.take_changes();
    assert!(ch.tickets.is_empty() && ch.counters.is_empty());
    assert_eq!(wins(&ch), [(1, WindowStatus::Open, None)]);

    f.call_next(&c1(), 1);
    let ch = f.h.take_changes();
    assert_eq!(ids(&ch), [(a1.0, TicketState::Called)]);
    assert_eq!(wins(&ch), [(1, WindowStatus::Open, Some(a1))]);

    f.ok(&c1(), Command::Recall { window: 1 });
    let ch = f.h.take_changes();
    assert_eq!(ids(&ch), [(a1.0, TicketState::Called)]);
    assert_eq!(ch.tickets[0].recall_count, 1);
    assert!(ch.windows.is_empty());

    f.ok(
        &c1(),
        Command::Transfer {
            window: 1,
            to_queue: Some("b".into()),
            to_window: None,
            position: Position::Front,
            reason: None,
        },
    );
    let ch = f.h.take_changes();
    assert_eq!(ids(&ch), [(a1.0, TicketState::Waiting)]);
    assert_eq!(wins(&ch), [(1, WindowStatus::Open, None)]);

    f.call_next(&c1(), 1);
    f.finish(&c1(), 1);
    let b1 = f.issue("b");
    let ch = f.h.take_changes();
    assert_eq!(
        ids(&ch),
        [(a1.0, TicketState::Done), (b1.0, TicketState::Waiting)]
    );
    assert_eq!(wins(&ch), [(1, WindowStatus::Open, None)]);
    assert_eq!(ch.counters, [(day, "b".to_string(), 1)]);

    f.ok(
        &citizen(),
        Command::Cancel {
            token: "tok-2".into(),
        },
    );
    let ch = f.h.take_changes();
    assert_eq!(ids(&ch), [(b1.0, TicketState::Cancelled)]);

    f.ok(
        &c1(),
        Command::Pause {
            window: 1,
            reason: "x".into(),
            until: None,
        },
    );
    let ch = f.h.take_changes();
    assert!(ch.tickets.is_empty());
    assert_eq!(wins(&ch), [(1, WindowStatus::Paused, None)]);
}

/// What a store would hold: the latest version of every row written.
#[derive(Default)]
struct Store {
    tickets: BTreeMap<TicketId, Ticket>,
    windows: BTreeMap<u32, WindowState>,
    counters: BTreeMap<(Date, String), u32>,
}

impl Store {
    fn save(&mut self, ch: Changes) {
        for t in ch.tickets {
            self.tickets.insert(t.id, t);
        }
        for w in ch.windows {
            self.windows.insert(w.number, w);
        }
        for (d, q, n) in ch.counters {
            self.counters.insert((d, q), n);
        }
    }

    fn restored(&self) -> Restored {
        Restored {
            tickets: self.tickets.values().cloned().collect(),
            windows: self.windows.values().cloned().collect(),
            counters: self
                .counters
                .iter()
                .map(|((d, q), n)| (*d, q.clone(), *n))
                .collect(),
            next_ticket_id: self.tickets.keys().map(|id| id.0).max().unwrap_or(0) + 1,
            ..Restored::default()
        }
    }
}

#[test]
fn restore_from_the_changed_rows_rebuilds_an_equal_hall() {
    let mut f = Fx::with(|p| p.queues[0].daily_quota = 20, at("13:59"));
    let mut store = Store::default();
    macro_rules! step {
        ($e:expr) => {{
            let out = $e;
            store.save(f.h.take_changes());
            out
        }};
    }
    step!(f.sign_in(&c1(), 1));
    step!(f.sign_in(&c2(), 3));
    step!(f.sign_in(&c3(), 2));
    f.set("14:00");
    for q in ["a", "b", "a", "a", "h", "a", "a"] {
        step!(f.issue(q));
    }
    step!(f.green("b"));
    step!(
        f.try_issue("r", Priority::Normal, Some(ID), Some("13812345678"))
            .expect("real name")
    );
    // Window 3 takes the green B002 and holds it: green streak 1.
    f.set("14:04");
    assert_eq!(
        step!(f.call_next(&c2(), 3)),
        Some(("B002".into(), CallReason::GreenChannel))
    );
    step!(f.ok(&c2(), Command::Hold { window: 3 }));
    // A001 served for 840 s.
    f.set("14:05");
    assert_eq!(
        step!(f.call_next(&c1(), 1)).map(|c| c.0).as_deref(),
        Some("A001")
    );
    step!(f.ok(&c1(), Command::Start { window: 1 }));
    f.set("14:19");
    step!(f.finish(&c1(), 1));
    // A002 a no-show a minute after its call.
    f.set("14:20");
    step!(f.call_next(&c1(), 1));
    f.set("14:21");
    step!(f.ok(
        &c1(),
        Command::NoShow {
            window: 1,
            reason: Some("未到".into())
        }
    ));
    // Window 2 takes B001 and sends it to window 1, then pauses.
    step!(f.call_next(&c3(), 2));
    step!(f.ok(
        &c3(),
        Command::Transfer {
            window: 2,
            to_queue: None,
            to_window: Some(1),
            position: Position::Back,
            reason: None
        }
    ));
    step!(f.ok(
        &c3(),
        Command::Pause {
            window: 2,
            reason: "会议".into(),
            until: None,
        }
    ));
    // The citizen with A004 leaves.
    step!(f.ok(
        &citizen(),
        Command::Cancel {
            token: "tok-6".into()
        }
    ));
    // Window 1 calls the transferred B001 and recalls it once.
    f.set("14:25");
    assert_eq!(
        step!(f.call_next(&c1(), 1)),
        Some(("B001".into(), CallReason::Transferred))
    );
    step!(f.ok(&c1(), Command::Recall { window: 1 }));
    f.set("14:30");

    let mut r = Hall::restore(
        Arc::new(f.h.plan().clone()),
        b"key".to_vec(),
        f.now,
        store.restored(),
    );
    assert_eq!(r.day(), f.h.day());
    for w in f.h.plan().windows.iter().map(|w| w.number) {
        let (mut live, mut back) = (
            json(&f.h.window_view(w).expect("live")),
            json(&r.window_view(w).expect("restored")),
        );
        if !store.windows.contains_key(&w) {
            // Never written: closed since whenever the hall was built.
            live["since"] = serde_json::Value::Null;
            back["since"] = serde_json::Value::Null;
        }
        assert_eq!(live, back, "window {w}");
    }
    assert_eq!(
        json(&f.h.queue_views(f.now)),
        json(&r.queue_views(f.now)),
        "queue views"
    );
    let live_ids: Vec<TicketId> = store.tickets.keys().copied().collect();
    for id in &live_ids {
        let (a, b) = (
            f.h.ticket(*id).expect("live"),
            r.ticket(*id).expect("restored"),
        );
        assert_eq!(a, b, "ticket {id:?}");
        assert_eq!(
            json(&f.h.ticket_view(a)),
            json(&r.ticket_view(b)),
            "ticket view {id:?}"
        );
        assert_eq!(
            json(&f.h.public_ticket(a)),
            json(&r.public_ticket(b)),
            "public ticket {id:?}"
        );
        assert_eq!(r.ticket_by_token(&a.token).map(|t| t.id), Some(*id));
    }
    let waiting = |h: &Hall| {
        h.queue_views(f.now)
            .iter()
            .map(|q| (q.id.clone(), q.waiting))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        waiting(&r),
        [
            ("a".into(), 2),
            ("b".into(), 0),
            ("r".into(), 1),
            ("h".into(), 1)
        ]
    );
    // Nothing left over to write right after a restore.
    let ch = r.take_changes();
    assert!(ch.tickets.is_empty() && ch.windows.is_empty() && ch.counters.is_empty());

    // Both halls go on the same way: numbers continue, ids are not reused, the same
    // tickets are chosen, and real-name duplicates are still refused.
    let mut live = f;
    let mut back = Fx {
        h: r,
        now: live.now,
        tokens: live.tokens,
    };
    for g in [&mut live, &mut back] {
        let id = g.issue("a");
        assert_eq!((id, g.number(id)), (TicketId(10), "A006".to_string()));
        let id = g.issue("b");
        assert_eq!((id, g.number(id)), (TicketId(11), "B003".to_string()));
        assert_eq!(
            code(g.try_issue("r", Priority::Normal, Some(ID), None)),
            "duplicate_ticket"
        );
        g.finish(&c1(), 1);
    }
    for (who, w) in [(c1(), 1), (c2(), 3)] {
        assert_eq!(
            live.call_next(&who, w),
            back.call_next(&who, w),
            "window {w}"
        );
    }
    let cb = |g: &mut Fx| {
        g.run(
            &c2(),
            Command::CallBack {
                window: 3,
                number: "B002".into(),
            },
        )
        .map_err(|e| e.code())
    };
    assert_eq!(cb(&mut live), Err("window_busy"));
    assert_eq!(cb(&mut back), Err("window_busy"));
}

/// Views are `Serialize` but not `PartialEq`: compare them as JSON.
fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("serializable view")
}

/// One department's queues keep consistent estimates: twenty quick services at one queue
/// (户籍's morning of 30-second enquiries) move its sibling's unobserved estimate with it, so
/// seven people at the sibling never read longer than twenty at the quick queue.
#[test]
fn one_departments_queues_keep_consistent_estimates() {
    let mut fx = Fx::with(
        |p| {
            for q in p.queues.iter_mut().filter(|q| q.department == "gaj") {
                q.service_s = 600;
                q.real_name = false;
            }
            let own = |number: u32, queue: &str, like: &WindowPlan| WindowPlan {
                number,
                tiers: vec![vec![queue.to_string()]],
                ..like.clone()
            };
            let w4 = p
                .windows
                .iter()
                .find(|w| w.number == 4)
                .expect("window 4")
                .clone();
            p.windows.retain(|w| w.number != 4);
            p.windows.push(own(4, "r", &w4));
            p.windows.push(own(5, "h", &w4));
        },
        at("09:00"),
    );
    fx.sign_in(&c1(), 4);
    fx.sign_in(&c2(), 5);
    assert_eq!(
        fx.h.mean_service("h"),
        600.0,
        "nothing learned yet: as configured"
    );
    for _ in 0..20 {
        fx.issue("r");
        fx.call_next(&c1(), 4);
        fx.later(30);
        fx.finish(&c1(), 4);
    }
    let r_mean = fx.h.mean_service("r");
    let h_mean = fx.h.mean_service("h");
    // r: (5 × 600 + Σ cycles) / 25 with twenty cycles of about 30 s; h: 600 × the
    // department's pace (5 + Σ cycles / 600) / 25, which is the same number.
    assert!((140.0..150.0).contains(&r_mean), "{r_mean}");
    assert!((h_mean - r_mean).abs() < 1e-9, "{h_mean} vs {r_mean}");
    let last = |fx: &mut Fx, queue: &str, n: usize| {
        (0..n).map(|_| fx.issue(queue)).last().expect("issued")
    };
    let r = last(&mut fx, "r", 21);
    let h = last(&mut fx, "h", 8);
    assert_eq!(
        (fx.h.waiting_ahead(fx.t(r)), fx.h.waiting_ahead(fx.t(h))),
        (20, 7)
    );
    let (er, eh) = (
        fx.h.estimated_wait(fx.t(r)).expect("r is open"),
        fx.h.estimated_wait(fx.t(h)).expect("h is open"),
    );
    // Both windows are free, so each calls its first waiting ticket at once: 20 and 7 window
    // times (nobody has given up: theta = 0). Without the department's pace h read
    // 7 × 600 = 4200 s: longer for 7 people than r's 20 × 145 ≈ 2895 s for 20.
    assert_eq!(
        (er, eh),
        (
            (20.0 * r_mean).round() as u32,
            (7.0 * r_mean).round() as u32
        )
    );
    assert!(eh < er);
}

#[test]
fn a_clerk_signs_in_only_within_their_scope_and_a_refusal_changes_nothing() {
    let mut f = Fx::new();
    let scope = crate::domain::scope::Scope {
        windows: vec![(2, 3)],
        departments: Vec::new(),
    };
    let out = f.run(
        &c1(),
        Command::SignIn {
            window: 1,
            scope: scope.clone(),
        },
    );
    assert_eq!(out, Err(DomainError::OutsideScope(1)));
    assert!(f.h.take_changes().windows.is_empty(), "nothing changed");
    f.ok(
        &c1(),
        Command::SignIn {
            window: 2,
            scope: scope.clone(),
        },
    );
    // A manager's scope is not checked.
    f.ok(&mgr(), Command::SignIn { window: 1, scope });
}

/// The estimate follows the windows' own calling order (estimate::simulate_calls): a window
/// busy with a ticket is free after that ticket's expected remaining time, a window calls its
/// own tier first, and a clerk at lunch is expected back after today's mean lunch.
#[test]
fn estimates_follow_who_calls_whom() {
    // 14:00; windows 1 ([a], then [b]), 2 ([b]) and 3 ([a, b]); 600 s configured for both.
    let mut f = Fx::new();
    f.sign_in(&c1(), 1);
    f.sign_in(&c2(), 2);
    f.sign_in(&c3(), 3);
    // Window 3's clerk lunches 20 minutes (today's mean lunch: 1200 s), and at 14:20 goes
    // again: expected back at 14:40:00.
    let pause = |window, reason: &str| Command::Pause {
        window,
        reason: reason.into(),
        until: None,
    };
    f.ok(&c3(), pause(3, "lunch"));
    f.set("14:20");
    f.ok(&c3(), Command::Resume { window: 3 });
    f.ok(&c3(), pause(3, "lunch"));
    // Each issue moves the clock one second on.
    let a1 = f.issue("a");
    f.call_next(&c1(), 1); // A001 called at 14:20:01
    f.set("14:21");
    let b1 = f.issue("b");
    f.call_next(&c2(), 2); // B001 called at 14:21:01
    let (b2, a2) = (f.issue("b"), f.issue("a")); // 14:21:01, 14:21:02
    assert_eq!(f.t(a1).state, TicketState::Called);
    assert_eq!(f.t(b1).state, TicketState::Called);
    // As of 14:21:02 window 1 has run 61 s of a's 600 (539 to come), window 2 1 s (599),
    // and window 3 is back in 1138 s. Window 1 calls A002 at 539 (its own tier first,
    // though B002 is older); window 2 calls B002 at 599. QL said 0 for A002 (nobody
    // ahead) and 2 × 600 for B002.
    assert_eq!(f.h.estimated_wait(f.t(a2)), Some(539));
    assert_eq!(f.h.estimated_wait(f.t(b2)), Some(599));
    let b_view = |f: &Fx| {
        f.h.queue_views(f.now)
            .into_iter()
            .find(|q| q.id == "b")
            .and_then(|q| q.estimated_wait_s)
    };
    // A newcomer to b: windows 1 and 2 are busy until 1139 and 1199; window 3 is back first.
    assert_eq!(b_view(&f), Some(1138));
    // Issued (at 14:21:03, a second on), it is called by window 3 at 1137, and the next
    // newcomer by window 1 at 538 + 600.
    let b3 = f.issue("b");
    assert_eq!(f.h.estimated_wait(f.t(b3)), Some(1137));
    assert_eq!(b_view(&f), Some(1138));
    // A pause of a kind that has never ended today: window 3 is not counted. As of 14:21:04
    // (window 3's change), window 1 (537 + 600 for A002) calls B003 at 1137 and window 2
    // (597 + 600) the newcomer at 1197.
    f.ok(&c3(), Command::Resume { window: 3 });
    f.ok(&c3(), pause(3, "会议"));
    assert_eq!(f.h.estimated_wait(f.t(b3)), Some(1137));
    assert_eq!(b_view(&f), Some(1197));
}
