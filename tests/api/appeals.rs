//! An appeal (申诉) of a bad rating's follow-up needs a second manager: one files it by closing
//! the follow-up as `appealed` with its grounds, a different manager approves or rejects it.
//! Until approved the bad rating counts in the appraisal; the events are staff-only and name
//! their actors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestHall, assert_error, next_json};

/// clerk1's bad ratings and how many of them are excused, in this month's appraisal.
async fn appraisal(hall: &TestHall, token: &str) -> (Value, Value) {
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let month = &h["service_day"].as_str().expect("day")[..7];
    let (s, a) = hall
        .get(
            &format!("/api/v1/reports/staff-appraisal?month={month}"),
            Some(token),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let row = a["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["username"] == "clerk1")
        .cloned()
        .expect("clerk1 ranked");
    (row["bad_ratings"].clone(), row["bad_excused"].clone())
}

#[tokio::test]
async fn an_appeal_counts_only_once_a_second_manager_approves_it() {
    let hall = TestHall::spawn().await;
    let (_, id) = hall.rated_badly("very_dissatisfied", "办理时间太长").await;
    let m = hall.login("manager").await;
    let admin = hall.login("admin").await;
    let clerk = hall.login("clerk2").await;
    let mut public = hall.ws(None).await;
    assert_eq!(next_json(&mut public).await["type"], "snapshot");
    let post = |path: String, token: String, body: Value| {
        let hall = &hall;
        async move { hall.post(&path, Some(&token), body).await }
    };
    let close = format!("/api/v1/follow-ups/{id}/close");
    let decide = format!("/api/v1/follow-ups/{id}/decide-appeal");
    let (s, _) = post(
        format!("/api/v1/follow-ups/{id}/verify"),
        m.clone(),
        json!({"verification": "属实"}),
    )
    .await;
    assert_eq!(s, 200);

    // An appeal needs its grounds; nothing waits to be decided before one is filed.
    assert_error(
        &post(close.clone(), m.clone(), json!({"result": "appealed"})).await,
        422,
        "reason_required",
    );
    assert_error(
        &post(decide.clone(), admin.clone(), json!({"approve": true})).await,
        409,
        "invalid_state",
    );
    let (s, f) = post(
        close.clone(),
        m.clone(),
        json!({"result": "appealed", "note": "评价人系误评，有录像为证"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        (
            &f["state"],
            &f["appeal_by"],
            &f["appeal_note"],
            &f["result"]
        ),
        (
            &json!("appealing"),
            &json!("staff:manager"),
            &json!("评价人系误评，有录像为证"),
            &Value::Null
        )
    );
    // Filed, not decided: the rating still counts.
    assert_eq!(appraisal(&hall, &m).await, (json!(1), json!(0)));

    // The manager who filed it cannot decide it; a clerk cannot either; a rejection needs a reason.
    assert_error(
        &post(decide.clone(), m.clone(), json!({"approve": true})).await,
        409,
        "second_manager_required",
    );
    assert_error(
        &post(decide.clone(), clerk.clone(), json!({"approve": true})).await,
        403,
        "forbidden",
    );
    assert_error(
        &post(decide.clone(), admin.clone(), json!({"approve": false})).await,
        422,
        "reason_required",
    );
    let (_, f) = hall
        .get("/api/v1/follow-ups?state=appealing", Some(&m))
        .await;
    assert_eq!(
        f.as_array().map(Vec::len),
        Some(1),
        "refusals leave it waiting: {f}"
    );

    // Rejected: back to verified with the reason; the rating counts.
    let (s, f) = post(
        decide.clone(),
        admin.clone(),
        json!({"approve": false, "note": "录像不清晰"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        (&f["state"], &f["note"], &f["appeal_by"]),
        (
            &json!("verified"),
            &json!("录像不清晰"),
            &json!("staff:manager")
        )
    );
    assert_eq!(appraisal(&hall, &m).await, (json!(1), json!(0)));

    // Filed again and approved by the admin: closed as appealed, and excused.
    let (s, _) = post(
        close.clone(),
        m.clone(),
        json!({"result": "appealed", "note": "补充了清晰录像"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, f) = post(decide.clone(), admin.clone(), json!({"approve": true})).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        (&f["state"], &f["result"], &f["closed_by"], &f["note"]),
        (
            &json!("closed"),
            &json!("appealed"),
            &json!("staff:admin"),
            &json!("补充了清晰录像")
        )
    );
    assert_eq!(appraisal(&hall, &m).await, (json!(1), json!(1)));
    assert_error(
        &post(decide.clone(), admin.clone(), json!({"approve": true})).await,
        404,
        "unknown_follow_up",
    );

    // The audit names each actor; the public stream heard none of it.
    let (_, trail) = hall
        .get("/api/v1/reports/audit?kind=follow_up.appeal", Some(&m))
        .await;
    let actors: Vec<(String, String)> = trail["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").into(),
                e["actor"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        actors,
        [
            (
                "follow_up.appealed".to_string(),
                "staff:manager".to_string()
            ),
            ("follow_up.appeal_decided".into(), "staff:admin".into()),
            ("follow_up.appealed".into(), "staff:manager".into()),
            ("follow_up.appeal_decided".into(), "staff:admin".into()),
        ]
    );
    let (s, _) = hall.get("/api/v1/windows/20", Some(&m)).await; // something public happens after
    assert_eq!(s, 200);
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-out", json!({})).await;
    let next = next_json(&mut public).await;
    assert_eq!(
        next["type"], "window.signed_out",
        "no follow-up event before it: {next}"
    );
}
