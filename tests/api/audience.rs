//! Events by audience: the public stream (phones, wall screens, display devices) carries no
//! usernames, reasons, notes, outcomes, rating levels or follow-ups; the staff stream does; both
//! let a client prove it missed nothing (`prev <= last < seq`); slots and lag are enforced.

use serde_json::{Value, json};

use crate::helpers::*;

/// Frames up to and including the first of type `until`; checks the `prev` rule on the way.
pub async fn frames_until(ws: &mut Ws, mut last: u64, until: &str) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let e = next_json(ws).await;
        let seq = e["seq"].as_u64().expect("seq");
        let prev = e["prev"].as_u64().expect("prev");
        assert!(prev <= last && last < seq, "follows on: last {last}, {e}");
        last = seq;
        let done = e["type"] == until;
        got.push(e);
        if done {
            return got;
        }
    }
}

pub fn kinds(frames: &[Value]) -> Vec<&str> {
    frames.iter().filter_map(|e| e["type"].as_str()).collect()
}

/// A morning at window 20 that leaves staff-only words in every event that can hold them.
async fn secretive_morning(hall: &TestHall, c1: &str) {
    hall.ok(c1, 20, "sign-in", json!({})).await;
    hall.issue("xf").await;
    let second = hall.issue("xf").await;
    hall.ok(
        c1,
        20,
        "call",
        json!({"ticket": "XF002", "reason": "other: 老人SECRET1"}),
    )
    .await;
    hall.ok(c1, 20, "start", json!({})).await;
    let done = hall
        .ok(
            c1,
            20,
            "finish",
            json!({"outcome": "returned", "note": "缺材料SECRET2"}),
        )
        .await;
    assert!(done["current"].is_null());
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            Some(EVALUATOR),
            json!({"ticket": second["id"], "level": "very_dissatisfied", "reasons": ["办理时间太长"], "comment": "SECRET3"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    hall.ok(c1, 20, "call-next", json!({})).await;
    hall.ok(c1, 20, "no-show", json!({"reason": "other: 走了SECRET4"}))
        .await;
    hall.ok(
        c1,
        20,
        "pause",
        json!({"reason_code": "meeting", "reason_text": "SECRET5"}),
    )
    .await;
    hall.ok(c1, 20, "resume", json!({})).await;
    hall.ok(c1, 20, "sign-out", json!({})).await;
}

#[tokio::test]
async fn the_public_stream_carries_no_staff_detail_and_the_staff_stream_does() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    let mut public = hall.ws(None).await;
    let mut display = hall.ws_as("", Some(DISPLAY)).await.expect("display");
    let mut staff = hall.ws_staff(&m).await;
    let mut starts = Vec::new();
    for ws in [&mut public, &mut display, &mut staff] {
        let snap = next_json(ws).await;
        assert_eq!(snap["type"], "snapshot");
        starts.push(snap["seq"].as_u64().expect("seq"));
    }
    secretive_morning(&hall, &c1).await;

    let pub_frames = frames_until(&mut public, starts[0], "window.signed_out").await;
    let dev_frames = frames_until(&mut display, starts[1], "window.signed_out").await;
    let staff_frames = frames_until(&mut staff, starts[2], "window.signed_out").await;
    assert_eq!(
        pub_frames, dev_frames,
        "a display device gets the public stream"
    );

    let public_text = serde_json::to_string(&pub_frames).expect("json");
    // A pause shows its code from the fixed list (the wall says 会议), never the clerk's text.
    let paused = pub_frames
        .iter()
        .find(|f| f["type"] == "window.paused")
        .expect("the pause is public");
    assert_eq!(paused["reason"], "meeting", "{paused}");
    for word in [
        "SECRET",
        "clerk1",
        "username",
        "returned",
        "very_dissatisfied",
        "follow_up",
        "rating",
        "note",
    ] {
        assert!(
            !public_text.contains(word),
            "{word} on the public stream: {public_text}"
        );
    }
    assert_eq!(
        kinds(&pub_frames),
        [
            "window.signed_in",
            "ticket.issued",
            "ticket.issued",
            "ticket.called",
            "ticket.started",
            "ticket.finished",
            "ticket.called",
            "ticket.no_show",
            "window.paused",
            "window.resumed",
            "window.signed_out",
        ]
    );
    // The clerk's display name is allowed on their own window (the shipped hall allows it).
    assert_eq!(pub_frames[0]["clerk"], json!({"name": "李红"}));
    assert_eq!(pub_frames[3]["announce"]["text"], "请XF002号到20号窗口办理");

    let staff_text = serde_json::to_string(&staff_frames).expect("json");
    for word in [
        "SECRET1",
        "SECRET4",
        "SECRET5",
        "clerk1",
        "returned",
        "rating.submitted",
        "very_dissatisfied",
        "follow_up.opened",
    ] {
        assert!(
            staff_text.contains(word),
            "{word} missing for staff: {staff_text}"
        );
    }
    let paused = staff_frames
        .iter()
        .find(|e| e["type"] == "window.paused")
        .expect("paused");
    assert_eq!(
        paused["reason"], "meeting: SECRET5",
        "code and text, one wire form"
    );
    let no_show = staff_frames
        .iter()
        .find(|e| e["type"] == "ticket.no_show")
        .expect("no-show");
    // `other` with text is stored as the text alone (what older servers stored).
    assert_eq!(no_show["reason"], "走了SECRET4");
}

#[tokio::test]
async fn snapshots_are_projected_too() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.ok(&c1, 20, "pause", json!({"reason": "other: 私事SECRET"}))
        .await;
    let mut public = hall.ws(None).await;
    let snap = next_json(&mut public).await;
    let w20 = snapshot_window(&snap, 20);
    assert_eq!(w20["status"], "paused");
    assert_eq!(w20["clerk"], json!({"name": "李红"}));
    let text = snap.to_string();
    assert!(
        !text.contains("SECRET") && !text.contains("clerk1"),
        "{w20}"
    );
    // The reason's code only: the clerk's words stay with staff.
    assert_eq!(w20["pause_reason"], "other", "{w20}");

    let mut staff = hall.ws_staff(&m).await;
    let snap = next_json(&mut staff).await;
    let text = snap.to_string();
    assert!(text.contains("私事SECRET") && text.contains("clerk1"));
}

#[tokio::test]
async fn the_staff_stream_needs_a_staff_session() {
    let hall = TestHall::spawn().await;
    let no_one = hall.ws_as("audience=staff", None).await.err();
    assert_eq!(no_one.as_ref().map(|e| e.0), Some(401), "{no_one:?}");
    assert_eq!(
        no_one.expect("refused").1["error"]["code"],
        "unauthenticated"
    );
    let device = hall.ws_as("audience=staff", Some(DISPLAY)).await.err();
    assert_eq!(device.map(|e| e.0), Some(403));
    let bad = hall.ws_as("audience=everyone", None).await.err();
    assert_eq!(bad.map(|e| e.0), Some(400));
    // A stale credential still gets the public stream.
    let mut ws = hall
        .ws_as("", Some("not-a-token"))
        .await
        .expect("public anyway");
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
}

#[tokio::test]
async fn a_public_replay_skips_staff_events_and_still_follows_on() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let mut ws = hall.ws(None).await;
    let start = next_json(&mut ws).await["seq"].as_u64().expect("seq");
    drop(ws);
    let t = hall.issue("xf").await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            Some(EVALUATOR),
            json!({"ticket": t["id"], "level": "satisfied"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The rating is a seq the public is not sent: the next public frame says so with `prev`.
    hall.issue("xf").await;
    let mut ws = hall.ws(Some(start)).await;
    let frames = frames_until(&mut ws, start, "ticket.issued").await;
    assert_eq!(kinds(&frames), ["ticket.issued"]);
    let more = frames_until(
        &mut ws,
        frames[0]["seq"].as_u64().expect("s"),
        "ticket.issued",
    )
    .await;
    assert_eq!(
        kinds(&more),
        ["ticket.called", "ticket.finished", "ticket.issued"]
    );
    let last = &more[2];
    assert!(
        last["seq"].as_u64() > last["prev"].as_u64().map(|p| p + 1),
        "the rating's seq was skipped: {last}"
    );
    // Live, the same rule holds across a staff-only event.
    hall.issue("xf").await;
    let live = frames_until(&mut ws, last["seq"].as_u64().expect("s"), "ticket.issued").await;
    assert_eq!(live.len(), 1);
}

#[tokio::test]
async fn anonymous_clients_cannot_take_the_slots_of_display_screens() {
    let mut cfg = shipped_config();
    cfg = cfg
        .replace("max_clients = 5000", "max_clients = 2")
        .replace("max_anonymous_clients = 4000", "max_anonymous_clients = 1");
    let hall = TestHall::spawn_with(&cfg).await;
    let mut phone = hall.ws(None).await;
    next_json(&mut phone).await;
    let Err(second) = hall.ws_as("", None).await else {
        panic!("a second phone was let in")
    };
    assert_eq!(second.0, 503);
    assert_eq!(second.1["error"]["code"], "too_many_connections");
    let mut screen = hall
        .ws_as("", Some(DISPLAY))
        .await
        .expect("a display gets its slot");
    assert_eq!(next_json(&mut screen).await["type"], "snapshot");
    let m = hall.login("manager").await;
    let Err(full) = hall.ws_as("audience=staff", Some(&m)).await else {
        panic!("a third client was let in")
    };
    assert_eq!(full.0, 503);
    // A slot comes back when a client leaves.
    drop(phone);
    let mut again = None;
    for _ in 0..100 {
        if let Ok(ws) = hall.ws_as("", None).await {
            again = Some(ws);
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the phone's slot was released");
}

#[tokio::test]
async fn a_client_that_falls_behind_gets_a_fresh_snapshot() {
    // One event of buffer: a burst of committed events overruns every subscriber.
    let mut cfg = shipped_config();
    cfg = cfg.replace("buffer = 4096", "buffer = 1");
    // Fifty kiosks at once from this one test address.
    cfg.push_str("\n[http]\nmax_connections_per_address = 500\n");
    let hall = TestHall::spawn_with(&cfg).await;
    // Sent together so the engine commits them in few batches: 300 tickets quickly.
    for _ in 0..6 {
        futures_util::future::join_all((0..50).map(|_| hall.issue("hj"))).await;
    }
    let mut ws = hall.ws(None).await;
    let first = next_json(&mut ws).await;
    let start = first["seq"].as_u64().expect("seq");
    // The day ends: all 300 waiting tickets are abandoned in one commit, sent back to back.
    hall.set_clock(tomorrow_at(10, 0) + jiff::SignedDuration::from_hours(24))
        .await;
    hall.issue("xf").await;
    // Everything up to that ticket arrives as events or is folded into a fresh snapshot.
    let mut last = start;
    let lagged = loop {
        let e = next_json(&mut ws).await;
        if e["type"] == "snapshot" {
            break e;
        }
        let seq = e["seq"].as_u64().expect("seq");
        assert!(
            e["prev"].as_u64().expect("prev") <= last && last < seq,
            "{e}"
        );
        last = seq;
        assert_ne!(
            e["type"], "ticket.issued",
            "the burst did not overrun a one-event buffer"
        );
    };
    // Then the stream goes on from the snapshot, following on. (The burst's tail may overrun
    // the buffer once more; a snapshot taken after a new ticket already holds it, so issue
    // again until one arrives as an event.)
    let mut last = lagged["seq"].as_u64().expect("seq");
    for _ in 0..5 {
        hall.issue("xf").await;
        let e = next_json(&mut ws).await;
        let seq = e["seq"].as_u64().expect("seq");
        if e["type"] == "snapshot" {
            last = seq;
            continue;
        }
        assert!(
            e["prev"].as_u64().expect("prev") <= last && last < seq,
            "{e}"
        );
        assert_eq!(e["type"], "ticket.issued");
        return;
    }
    panic!("the stream never went on after the snapshot");
}

#[tokio::test]
async fn a_user_added_by_the_cli_while_the_server_runs_logs_in_at_once() {
    let hall = TestHall::spawn().await;
    let db = hall.db.to_str().expect("utf-8").to_string();
    let added = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hallq"))
            .args([
                "user",
                "add",
                "--db",
                &db,
                "--username",
                "new.clerk",
                "--name",
                "新人",
            ])
            .args(["--role", "clerk", "--password-stdin"])
            .stdin(std::process::Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"fresh-password\n")?;
        child.wait()
    })
    .await
    .expect("joined")
    .expect("ran");
    assert!(added.success());
    let (s, v) = hall.session("new.clerk", "fresh-password").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["user"]["role"], "clerk");
    let token = v["token"].as_str().expect("token");
    hall.ok(token, 20, "sign-in", json!({})).await;
}
