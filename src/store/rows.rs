//! Mapping between rows and domain values.

use jiff::Timestamp;
use rusqlite::{Row, Transaction, params};

use super::{Result, StoreError};
use crate::domain::event::ClerkRef;
use crate::domain::hall::{WindowState, WindowStatus};
use crate::domain::ticket::{Outcome, Priority, Ticket, TicketId, TicketState};

pub const TICKET_COLUMNS: &str = "id, token, service_day, queue, original_queue, seq_no, number, priority, state, \
    issued_at_ms, queue_key, target_window, window, first_called_ms, called_ms, started_ms, finished_ms, \
    recall_count, transfer_count, outcome, note, id_hash, id_last4, phone, clerk, issued_by";

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn ts_opt(ms: Option<i64>) -> Result<Option<Timestamp>> {
    ms.map(ts).transpose()
}

fn bad(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

/// A ticket from its row, its phone as stored (sealed): the caller opens or drops it.
pub fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Ticket>> {
    let day: String = r.get(2)?;
    let priority: String = r.get(7)?;
    let state: String = r.get(8)?;
    let outcome: Option<String> = r.get(19)?;
    let raw = (
        r.get::<_, i64>(9)?,
        r.get::<_, Option<i64>>(13)?,
        r.get::<_, Option<i64>>(14)?,
        r.get::<_, Option<i64>>(15)?,
        r.get::<_, Option<i64>>(16)?,
    );
    let t = Ticket {
        id: TicketId(r.get(0)?),
        token: r.get(1)?,
        service_day: Default::default(),
        queue: r.get(3)?,
        original_queue: r.get(4)?,
        seq_no: r.get(5)?,
        number: r.get(6)?,
        priority: Priority::Normal,
        state: TicketState::Waiting,
        issued_at: Timestamp::UNIX_EPOCH,
        queue_key: r.get(10)?,
        target_window: r.get(11)?,
        window: r.get(12)?,
        first_called_at: None,
        called_at: None,
        started_at: None,
        finished_at: None,
        recall_count: r.get(17)?,
        transfer_count: r.get(18)?,
        outcome: None,
        note: r.get(20)?,
        id_hash: r.get(21)?,
        id_last4: r.get(22)?,
        phone: r.get(23)?,
        clerk: r.get(24)?,
        issued_by: r.get(25)?,
    };
    Ok((|| {
        Ok(Ticket {
            service_day: day.parse().map_err(|_| bad("service day", &day))?,
            priority: Priority::parse(&priority).ok_or_else(|| bad("priority", &priority))?,
            state: TicketState::parse(&state).ok_or_else(|| bad("state", &state))?,
            outcome: match outcome {
                Some(o) => Some(Outcome::parse(&o).ok_or_else(|| bad("outcome", &o))?),
                None => None,
            },
            issued_at: ts(raw.0)?,
            first_called_at: ts_opt(raw.1)?,
            called_at: ts_opt(raw.2)?,
            started_at: ts_opt(raw.3)?,
            finished_at: ts_opt(raw.4)?,
            ..t
        })
    })())
}

pub fn upsert_ticket(tx: &Transaction<'_>, t: &Ticket, keys: &super::keys::Keys) -> Result<()> {
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO tickets({TICKET_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)
         ON CONFLICT(id) DO UPDATE SET queue=excluded.queue, state=excluded.state, queue_key=excluded.queue_key,
           target_window=excluded.target_window, window=excluded.window, first_called_ms=excluded.first_called_ms,
           called_ms=excluded.called_ms, started_ms=excluded.started_ms, finished_ms=excluded.finished_ms,
           recall_count=excluded.recall_count, transfer_count=excluded.transfer_count, outcome=excluded.outcome,
           note=excluded.note, clerk=excluded.clerk"
    ))?;
    let ms = |t: Option<Timestamp>| t.map(|t| t.as_millisecond());
    let phone = t
        .phone
        .as_deref()
        .map(|p| keys.seal(super::seal::TICKET_PHONE, t.id.0, p));
    stmt.execute(params![
        t.id.0,
        t.token,
        t.service_day.to_string(),
        t.queue,
        t.original_queue,
        t.seq_no,
        t.number,
        t.priority.as_str(),
        t.state.as_str(),
        t.issued_at.as_millisecond(),
        t.queue_key,
        t.target_window,
        t.window,
        ms(t.first_called_at),
        ms(t.called_at),
        ms(t.started_at),
        ms(t.finished_at),
        t.recall_count,
        t.transfer_count,
        t.outcome.map(|o| o.as_str()),
        t.note,
        t.id_hash,
        t.id_last4,
        phone,
        t.clerk,
        t.issued_by,
    ])?;
    Ok(())
}

pub fn window_from_row(r: &Row<'_>) -> rusqlite::Result<Result<WindowState>> {
    let status: String = r.get(1)?;
    let username: Option<String> = r.get(2)?;
    let name: Option<String> = r.get(3)?;
    let since: i64 = r.get(6)?;
    let number: u32 = r.get(0)?;
    let current: Option<i64> = r.get(4)?;
    let pause_reason: Option<String> = r.get(5)?;
    let green_streak: u32 = r.get(7)?;
    let pause_until: Option<i64> = r.get(8)?;
    Ok((|| {
        Ok(WindowState {
            number,
            status: WindowStatus::parse(&status).ok_or_else(|| bad("window status", &status))?,
            clerk: username.map(|username| ClerkRef {
                name: name.unwrap_or_else(|| username.clone()),
                username,
            }),
            current: current.map(TicketId),
            pause_reason,
            pause_until: ts_opt(pause_until)?,
            since: ts(since)?,
            green_streak,
        })
    })())
}

pub fn upsert_window(tx: &Transaction<'_>, w: &WindowState) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO windows(number, status, clerk_username, clerk_name, current_ticket, pause_reason, since_ms, green_streak, pause_until_ms)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
         ON CONFLICT(number) DO UPDATE SET status=excluded.status, clerk_username=excluded.clerk_username,
           clerk_name=excluded.clerk_name, current_ticket=excluded.current_ticket, pause_reason=excluded.pause_reason,
           since_ms=excluded.since_ms, green_streak=excluded.green_streak, pause_until_ms=excluded.pause_until_ms",
    )?;
    stmt.execute(params![
        w.number,
        w.status.as_str(),
        w.clerk.as_ref().map(|c| c.username.as_str()),
        w.clerk.as_ref().map(|c| c.name.as_str()),
        w.current.map(|c| c.0),
        w.pause_reason,
        w.since.as_millisecond(),
        w.green_streak,
        w.pause_until.map(|t| t.as_millisecond()),
    ])?;
    Ok(())
}
