//! Read-only report queries: plain rows for `crate::reports` to aggregate. Nothing here knows
//! about the hall's plan.

use rusqlite::{Connection, params};

use super::Result;

/// One ticket as reports see it (borrowed from the row being read).
#[derive(Debug, Clone, Copy)]
pub struct TicketFact<'a> {
    pub service_day: &'a str,
    /// The queue it ended in (after transfers).
    pub queue: &'a str,
    /// The queue it was issued in.
    pub original_queue: &'a str,
    pub state: &'a str,
    /// The window that last called it.
    pub window: Option<u32>,
    /// The username of the clerk who finished it.
    pub clerk: Option<&'a str>,
    pub issued_ms: i64,
    pub first_called_ms: Option<i64>,
    pub called_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub transfer_count: u32,
    /// The ticket's priority class (`normal`, `green_channel`, `appointment`), when asked for.
    pub priority: Option<&'a str>,
}

/// Text of column `i`, borrowed from the row.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Text of column `i` or `None` for NULL, borrowed from the row.
fn opt_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => text(r, i).map(Some),
    }
}

/// Call `each` for every ticket of the service days `from..=to` (`YYYY-MM-DD`), in
/// service-day order. Reads only the covering index `tickets_report` (migration 3).
pub fn ticket_facts(
    conn: &Connection,
    from: &str,
    to: &str,
    each: impl FnMut(&TicketFact<'_>),
) -> Result<()> {
    ticket_facts_as(conn, from, to, false, each)
}

/// `ticket_facts`, with each ticket's priority class when `priority` (which costs a look-up of
/// the row beside the index).
pub fn ticket_facts_as(
    conn: &Connection,
    from: &str,
    to: &str,
    priority: bool,
    mut each: impl FnMut(&TicketFact<'_>),
) -> Result<()> {
    let prio = if priority { "priority" } else { "NULL" };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT service_day, queue, original_queue, state, window, clerk, issued_at_ms,
                first_called_ms, called_ms, started_ms, finished_ms, transfer_count, {prio}
         FROM tickets INDEXED BY tickets_report
         WHERE service_day BETWEEN ?1 AND ?2"
    ))?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        each(&TicketFact {
            service_day: text(r, 0)?,
            queue: text(r, 1)?,
            original_queue: text(r, 2)?,
            state: text(r, 3)?,
            window: r.get(4)?,
            clerk: opt_text(r, 5)?,
            issued_ms: r.get(6)?,
            first_called_ms: r.get(7)?,
            called_ms: r.get(8)?,
            started_ms: r.get(9)?,
            finished_ms: r.get(10)?,
            transfer_count: r.get(11)?,
            priority: opt_text(r, 12)?,
        });
    }
    Ok(())
}

/// One citizen's rating (borrowed from the row being read).
#[derive(Debug, Clone, Copy)]
pub struct RatingFact<'a> {
    pub level: &'a str,
    pub window: Option<u32>,
    pub clerk: Option<&'a str>,
    pub queue: &'a str,
    pub department: &'a str,
    pub service_day: &'a str,
    /// The rated ticket's issue time (only when asked for: grouping by hour).
    pub issued_ms: Option<i64>,
    /// The rated ticket's priority class (only when asked for: grouping by arrival).
    pub priority: Option<&'a str>,
    /// The follow-up of a bad rating (only when asked for: the appraisal).
    pub follow_up_state: Option<&'a str>,
    pub follow_up_result: Option<&'a str>,
}

/// Which joins a rating query needs (each costs a lookup per rating).
#[derive(Debug, Clone, Copy, Default)]
pub struct RatingJoins {
    /// The rated ticket's issue time.
    pub issue_time: bool,
    /// The rated ticket's priority class.
    pub priority: bool,
    /// The follow-up's state and result.
    pub follow_up: bool,
}

/// Call `each` for every rating of the service days `from..=to`.
pub fn rating_facts(
    conn: &Connection,
    from: &str,
    to: &str,
    joins: RatingJoins,
    mut each: impl FnMut(&RatingFact<'_>),
) -> Result<()> {
    let ticket_join = if joins.issue_time || joins.priority {
        "LEFT JOIN tickets t ON t.id = r.ticket_id"
    } else {
        ""
    };
    let issued = if joins.issue_time {
        "t.issued_at_ms"
    } else {
        "NULL"
    };
    let prio = if joins.priority { "t.priority" } else { "NULL" };
    let (follow, follow_join) = if joins.follow_up {
        (
            "f.state, f.result",
            "LEFT JOIN follow_ups f ON f.ticket_id = r.ticket_id",
        )
    } else {
        ("NULL, NULL", "")
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.level, r.window, r.clerk, r.queue, r.department, r.service_day, {issued}, {follow}, {prio}
         FROM ratings r {ticket_join} {follow_join}
         WHERE r.service_day BETWEEN ?1 AND ?2"
    ))?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        each(&RatingFact {
            level: text(r, 0)?,
            window: r.get(1)?,
            clerk: opt_text(r, 2)?,
            queue: text(r, 3)?,
            department: text(r, 4)?,
            service_day: text(r, 5)?,
            issued_ms: r.get(6)?,
            follow_up_state: opt_text(r, 7)?,
            follow_up_result: opt_text(r, 8)?,
            priority: opt_text(r, 9)?,
        });
    }
    Ok(())
}

/// A window event that matters for attendance: sign-in, sign-out, pause, resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowEventRow {
    pub seq: i64,
    pub at_ms: i64,
    /// `window.signed_in`, `window.signed_out`, `window.paused` or `window.resumed`.
    pub kind: String,
    pub window: u32,
    /// The clerk named by a sign-in or sign-out.
    pub clerk: Option<String>,
}

/// Window events committed in `[from_ms, to_ms)`, in commit order.
pub fn window_events(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<WindowEventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at_ms, kind, window, json_extract(payload, '$.clerk.username')
         FROM events
         WHERE kind IN ('window.signed_in','window.signed_out','window.paused','window.resumed')
           AND at_ms >= ?1 AND at_ms < ?2 AND window IS NOT NULL
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![from_ms, to_ms], |r| {
        Ok(WindowEventRow {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            kind: r.get(2)?,
            window: r.get(3)?,
            clerk: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// How often an actor did something to tickets at a window (no-shows, transfers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCount {
    /// `ticket.no_show` or `ticket.transferred`.
    pub kind: String,
    /// The audit label, e.g. `staff:clerk1`.
    pub actor: String,
    pub window: Option<u32>,
    pub count: u64,
}

/// No-shows and transfers committed in `[from_ms, to_ms)`, counted by actor and window.
pub fn clerk_actions(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<ActionCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, actor, window, COUNT(*) FROM events
         WHERE kind IN ('ticket.no_show','ticket.transferred') AND at_ms >= ?1 AND at_ms < ?2
         GROUP BY kind, actor, window",
    )?;
    let rows = stmt.query_map(params![from_ms, to_ms], |r| {
        Ok(ActionCount {
            kind: r.get(0)?,
            actor: r.get(1)?,
            window: r.get(2)?,
            count: r.get::<_, i64>(3)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A staff account as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffName {
    pub username: String,
    pub name: String,
    pub role: String,
}

/// Every staff account, by username.
pub fn staff_names(conn: &Connection) -> Result<Vec<StaffName>> {
    let mut stmt =
        conn.prepare_cached("SELECT username, name, role FROM users ORDER BY username")?;
    let rows = stmt.query_map([], |r| {
        Ok(StaffName {
            username: r.get(0)?,
            name: r.get(1)?,
            role: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Reader, Store};

    /// Two tickets (one done by clerk1 and rated badly, its follow-up closed as appealed; one
    /// no-show) and clerk1's sign-in, no-show and sign-out at window 20.
    const ROWS: &str = r#"
        INSERT INTO tickets(id, token, service_day, queue, original_queue, seq_no, number,
            priority, state, issued_at_ms, queue_key, window, first_called_ms, called_ms,
            finished_ms, transfer_count, clerk, issued_by) VALUES
          (1, 't1', '2027-03-01', 'xf', 'xf', 1, 'XF001', 'normal', 'done', 1000, 1000, 20,
             61000, 61000, 121000, 0, 'clerk1', 'device:k'),
          (2, 't2', '2027-03-01', 'xf', 'xf', 2, 'XF002', 'normal', 'no_show', 1000, 1000, 20,
             61000, 61000, 121000, 0, NULL, 'device:k');
        INSERT INTO ratings(ticket_id, level, source, window, clerk, queue, department,
            service_day, rated_ms)
          VALUES (1, 'dissatisfied', 'evaluator', 20, 'clerk1', 'xf', 'gaj', '2027-03-01', 200000);
        INSERT INTO follow_ups(ticket_id, department, opened_ms, due_ms, state, result)
          VALUES (1, 'gaj', 0, 0, 'closed', 'appealed');
        INSERT INTO events(seq, at, at_ms, kind, actor, window, ticket_id, payload) VALUES
          (1, '', 0, 'window.signed_in', 'staff:clerk1', 20, NULL,
             '{"type":"window.signed_in","clerk":{"username":"clerk1","name":"x"}}'),
          (2, '', 100000, 'ticket.no_show', 'staff:clerk1', 20, 2, '{"type":"ticket.no_show"}'),
          (3, '', 500000, 'window.signed_out', 'staff:clerk1', 20, NULL,
             '{"type":"window.signed_out","clerk":{"username":"clerk1","name":"x"}}');
    "#;

    #[test]
    fn report_rows_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.db");
        let store = Store::open(&path).expect("open");
        store.conn.execute_batch(ROWS).expect("rows");
        drop(store);
        let reader = Reader::new(&path);
        reader
            .with(|c| {
                let mut seen = Vec::new();
                ticket_facts(c, "2027-03-01", "2027-03-01", |t| {
                    seen.push((
                        t.state.to_string(),
                        t.clerk.map(str::to_string),
                        t.first_called_ms,
                    ))
                })?;
                assert_eq!(
                    seen,
                    [
                        ("done".to_string(), Some("clerk1".to_string()), Some(61_000)),
                        ("no_show".to_string(), None, Some(61_000))
                    ]
                );
                let mut none = 0;
                ticket_facts(c, "2027-03-02", "2027-03-31", |_| none += 1)?;
                assert_eq!(none, 0);
                let mut r = Vec::new();
                let all = RatingJoins {
                    issue_time: true,
                    priority: true,
                    follow_up: true,
                };
                rating_facts(c, "2027-03-01", "2027-03-01", all, |x| {
                    r.push((
                        x.issued_ms,
                        x.follow_up_state.map(str::to_string),
                        x.follow_up_result.map(str::to_string),
                    ))
                })?;
                assert_eq!(
                    r,
                    [(Some(1_000), Some("closed".into()), Some("appealed".into()))]
                );
                let mut bare = Vec::new();
                rating_facts(c, "2027-03-01", "2027-03-01", RatingJoins::default(), |x| {
                    bare.push((
                        x.level.to_string(),
                        x.issued_ms,
                        x.follow_up_state.is_some(),
                    ))
                })?;
                assert_eq!(bare, [("dissatisfied".to_string(), None, false)]);
                let w = window_events(c, 0, 1_000_000)?;
                assert_eq!(w.len(), 2);
                assert_eq!(w[0].clerk.as_deref(), Some("clerk1"));
                let a = clerk_actions(c, 0, 1_000_000)?;
                assert_eq!(
                    a,
                    [ActionCount {
                        kind: "ticket.no_show".into(),
                        actor: "staff:clerk1".into(),
                        window: Some(20),
                        count: 1
                    }]
                );
                Ok(())
            })
            .expect("queries");
    }
}
