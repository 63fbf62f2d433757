//! The kiosk at 1080x1920 in Chromium: home → department → queue → ticket, refusals, the
//! English switch, large text, the idle return, a failed print. Screenshots of every screen go
//! to target/screenshots/kiosk-*.png; every screen is checked for overflowing or cut text.

use std::time::Duration;

use hallq::printer::fake::{FakePrinter, Script, decode};
use serde_json::{Value, json};

use crate::hall::{KIOSK, TestHall, config_with_printer, tomorrow_at};
use crate::helpers::Browser;

const W: u32 = 1080;
const H: u32 = 1920;

/// The shipped hall with kiosk-1 printing on `address`, and queue xf limited to `xf_quota`.
fn config(address: &str, xf_quota: u32) -> String {
    let c = config_with_printer(address).replacen(
        "prefix = \"XF\"\ndepartment = \"gaj\"\ndaily_quota = 40",
        &format!("prefix = \"XF\"\ndepartment = \"gaj\"\ndaily_quota = {xf_quota}"),
        1,
    );
    assert!(c.contains(address) && c.contains(&format!("daily_quota = {xf_quota}")));
    c
}

/// Elements under ROOT whose content overflows them, that stick out of the viewport, or that
/// overlap the next block of the screen.
const OVERFLOW: &str = r#"(() => {
  const bad = [];
  for (const e of document.querySelectorAll('ROOT *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const name = `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || '').trim().slice(0, 24)}"`;
    if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1 || r.left < -1 || r.top < -1) bad.push(`outside: ${name}`);
    const s = getComputedStyle(e);
    if (e.parentElement?.tagName === 'MAIN' && e.nextElementSibling) {
      const n = e.nextElementSibling.getBoundingClientRect();
      if (n.height && r.bottom > n.top + 1) bad.push(`overlaps the next: ${name}`);
    }
    if (s.overflow !== 'visible' && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)) bad.push(`cut: ${name}`);
  }
  return bad;
})()"#;

async fn check_screen(b: &Browser, name: &str) {
    check_layout(b, &format!("kiosk-{name}"), "#app").await;
}

/// Save a screenshot `name` and assert nothing under `root` overflows or is cut.
pub async fn check_layout(b: &Browser, name: &str, root: &str) {
    b.screenshot(name).await;
    let script = OVERFLOW.replace("ROOT", root);
    let bad = b
        .client
        .execute(&format!("return {script};"), vec![])
        .await
        .expect("runs");
    assert_eq!(bad, json!([]), "{name}: text overflows or is cut");
}

async fn open(hall: &TestHall, query: &str) -> Browser {
    let b = Browser::start(W, H).await;
    b.client
        .goto(&format!("{}/kiosk/?device={KIOSK}{query}", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    b
}

pub async fn tap(b: &Browser, css: &str) {
    b.wait_for(&format!("document.querySelector({css:?})"), 10)
        .await;
    b.client
        .execute(&format!("document.querySelector({css:?}).click()"), vec![])
        .await
        .expect("click");
}

pub async fn text(b: &Browser, css: &str) -> String {
    let v = b
        .wait_for(&format!("document.querySelector({css:?})?.textContent"), 10)
        .await;
    v.as_str().unwrap_or_default().trim().to_string()
}

async fn screen(b: &Browser, name: &str) {
    b.wait_for(&format!("document.body.dataset.screen === {name:?}"), 10)
        .await;
}

/// Tap the department tile named `name` (on the busiest-first first page).
async fn tap_dept(b: &Browser, name: &str) {
    let js = format!(
        "[...document.querySelectorAll('button.dept')].find(e => e.querySelector('.n').textContent === {name:?})"
    );
    b.wait_for(&js, 10).await;
    b.client
        .execute(&format!("{js}.click()"), vec![])
        .await
        .expect("click");
}

#[tokio::test]
async fn a_citizen_takes_a_number_and_the_slip_prints() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config(&fake.address(), 40)).await;
    let b = open(&hall, "").await;

    screen(&b, "home").await;
    assert_eq!(text(&b, "#hall-name").await, "三都水族自治县政务服务中心");
    check_screen(&b, "1-home").await;

    tap(&b, "#take").await;
    screen(&b, "depts").await;
    check_screen(&b, "2-departments").await;
    // The busiest department (most windows before anyone has come) is first.
    let first = text(&b, "button.dept .n").await;
    assert_eq!(first, "公安局");
    // The pinyin filter finds 人社局 under R.
    tap(&b, "button[data-act=filter][data-arg=R]").await;
    b.wait_for(
        "[...document.querySelectorAll('button.dept .n')].some(e => e.textContent === '人社局')",
        10,
    )
    .await;
    check_screen(&b, "3-departments-R").await;
    tap(&b, "button[data-act=filter][data-arg=hot]").await;

    tap_dept(&b, "公安局").await;
    screen(&b, "queues").await;
    check_screen(&b, "4-queues").await;

    tap(&b, "[data-queue=hj] button.go").await;
    screen(&b, "ticket").await;
    let number = text(&b, "#number").await;
    b.wait_for(
        "document.querySelector('#qr').complete && document.querySelector('#qr').naturalWidth > 0",
        10,
    )
    .await;
    assert!(text(&b, "#print-ok").await.contains("请取走"));
    check_screen(&b, "5-ticket").await;

    // The number on screen is the ticket the hall issued, and the slip says the same.
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let hj = queue(&h, "hj");
    assert_eq!(hj["issued"], 1);
    assert_eq!(number, "H0001");
    let job = fake.next_job(Duration::from_secs(5)).await.expect("a slip");
    let slip = decode(&job).expect("decodes");
    assert!(slip.lines().contains(&number), "{:?}", slip.lines());
    let token = slip.qr[0].rsplit('/').next().expect("token").to_string();
    let (s, t) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(t["number"], number);

    tap(&b, "#done").await;
    screen(&b, "home").await;
    b.close().await;
}

fn queue<'a>(hall: &'a Value, id: &str) -> &'a Value {
    hall["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == id))
        .expect("queue")
}

#[tokio::test]
async fn a_failed_print_keeps_the_number_and_qr_on_screen() {
    let fake = FakePrinter::start(Script::PaperEnd)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config(&fake.address(), 40)).await;
    let b = open(&hall, "").await;
    tap(&b, "#take").await;
    tap_dept(&b, "公安局").await;
    // Green channel: choose why, then the ticket.
    tap(&b, "[data-queue=hj] button.green").await;
    screen(&b, "green").await;
    tap(&b, "button[data-act=kind][data-arg='0']").await;
    check_screen(&b, "6-green-channel").await;
    tap(&b, "button[data-act=green-ok]").await;
    screen(&b, "ticket").await;
    let msg = text(&b, "#print-failed").await;
    assert!(msg.contains("补打"), "{msg}");
    assert_eq!(text(&b, "#number").await, "H0001");
    b.wait_for("document.querySelector('#qr').naturalWidth > 0", 10)
        .await;
    check_screen(&b, "7-ticket-print-failed").await;
    let (_, h) = hall.get("/api/v1/hall", None).await;
    assert_eq!(queue(&h, "hj")["waiting"], 1, "the ticket was kept");
    b.close().await;
}

#[tokio::test]
async fn refused_queues_say_why() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config(&fake.address(), 1)).await;
    hall.issue("xf").await;
    let b = open(&hall, "").await;
    tap(&b, "#take").await;
    tap_dept(&b, "公安局").await;
    let reason = text(&b, "[data-queue=xf] .reason").await;
    assert_eq!(reason, "排队号已取完");
    check_screen(&b, "8-queue-exhausted").await;

    // Past the cut-off nothing issues, and the home screen says so at once: no way into
    // departments whose every queue is closed, while 预约签到 stays.
    hall.set_clock(tomorrow_at(16, 45)).await;
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let open: Vec<&Value> = h["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .filter(|q| q["open"] == json!(true))
        .collect();
    assert!(open.is_empty(), "every queue has stopped issuing: {open:?}");
    b.client.refresh().await.expect("reload");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    screen(&b, "home").await;
    assert_eq!(
        b.wait_for("String(document.querySelector('#take').disabled)", 10)
            .await,
        json!("true")
    );
    assert!(text(&b, "#take").await.contains("当前时间段不能取号"));
    assert_eq!(
        b.wait_for("String(document.querySelector('#checkin').disabled)", 5)
            .await,
        json!("false"),
        "check-in stays"
    );
    check_screen(&b, "9-hall-closed").await;
    b.close().await;
}

#[tokio::test]
async fn english_large_text_id_keypad_and_idle_return() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config(&fake.address(), 40)).await;
    let b = open(&hall, "&idle=6").await;

    tap(&b, "#lang").await;
    b.wait_for(
        "document.querySelector('#take').textContent.includes('Take a number')",
        10,
    )
    .await;
    check_screen(&b, "10-home-english").await;
    tap(&b, "#large").await;
    b.wait_for("document.body.classList.contains('large')", 10)
        .await;
    check_screen(&b, "11-home-english-large").await;
    tap(&b, "#take").await;
    screen(&b, "depts").await;
    assert_eq!(text(&b, "main h1").await, "Choose a department");
    // Fewer choices per screen in large text.
    let tiles = b
        .wait_for("document.querySelectorAll('button.dept').length", 10)
        .await;
    assert_eq!(tiles, json!(6));
    // Department and queue names in English (`name_en` in the shipped hall.toml).
    tap_dept(&b, "Public Security Bureau").await;
    screen(&b, "queues").await;
    assert_eq!(text(&b, "main h1").await, "Public Security Bureau");
    assert_eq!(
        text(&b, "[data-queue=hj] .qn").await,
        "Household registration & ID cards"
    );
    // Four services do not fit one large-text screen in either language: a cue says more
    // is below until the list is scrolled to its end, where the last 绿色通道 button is.
    b.wait_for("!document.querySelector('#scroll-cue').hidden", 5)
        .await;
    b.screenshot("kiosk-12a-queues-english-large").await;
    b.client
        .execute(
            "const l = document.querySelector('#queue-list'); l.scrollTop = l.scrollHeight;",
            vec![],
        )
        .await
        .expect("scrolls");
    b.wait_for(
        "document.querySelector('#scroll-cue').hidden && (r => r.bottom <= innerHeight)([...document.querySelectorAll('.queue .green')].pop().getBoundingClientRect())",
        5,
    )
    .await;
    tap(&b, "#back").await;
    screen(&b, "depts").await;
    check_screen(&b, "12-departments-english-large").await;

    tap(&b, "#lang2").await;
    b.wait_for(
        "document.querySelector('main h1').textContent === '请选择办理部门'",
        5,
    )
    .await;
    tap(&b, "#next").await;
    b.wait_for(
        "document.querySelector('#prev') && !document.querySelector('#prev').disabled",
        10,
    )
    .await;
    // Home resets the kiosk for the next citizen: Chinese, standard text.
    tap(&b, "#home").await;
    screen(&b, "home").await;
    assert_eq!(
        b.wait_for(
            "document.body.classList.contains('large') ? 'large' : 'standard'",
            5
        )
        .await,
        json!("standard")
    );
    assert!(text(&b, "#take").await.starts_with("取号"));
    tap(&b, "#take").await;
    tap_dept(&b, "公安局").await;
    tap(&b, "[data-queue=crj] button.go").await;
    screen(&b, "id").await;
    for k in "110105194912310021".chars() {
        tap(&b, &format!("button[data-act=key][data-arg='{k}']")).await;
    }
    tap(&b, "#enter").await;
    assert_eq!(text(&b, "#message").await, "身份证号码不正确，请核对");
    // The refused ID is not left on screen for the next in line: last 4 only.
    assert_eq!(text(&b, "#entry").await, "****** ******** 0021");
    check_screen(&b, "13-id-keypad-invalid").await;
    tap(&b, "button[data-act=key][data-arg='⌫']").await;
    tap(&b, "button[data-act=key][data-arg='X']").await;
    tap(&b, "#enter").await;
    screen(&b, "ticket").await;
    assert!(text(&b, "#number").await.starts_with("CR"));
    let (_, h) = hall.get("/api/v1/hall", None).await;
    assert_eq!(queue(&h, "crj")["issued"], 1);

    // Nobody touches the screen: a visible countdown, then home.
    b.wait_for("document.querySelector('#countdown')", 10).await;
    screen(&b, "home").await;
    b.close().await;
}

#[tokio::test]
async fn a_kiosk_without_a_working_token_shows_setup_at_once() {
    let hall = TestHall::spawn().await;
    for (query, why) in [("", "尚未配置"), ("?device=not-a-token", "无效")] {
        let b = Browser::start(W, H).await;
        b.client
            .goto(&format!("{}/kiosk/{query}", hall.base))
            .await
            .expect("navigates");
        b.wait_for("document.body.dataset.ready === '1'", 15).await;
        screen(&b, "setup").await;
        let text = text(&b, "#setup-why").await;
        assert!(text.contains(why), "{text}");
        assert_eq!(
            b.wait_for("String(document.querySelectorAll('#take').length)", 2)
                .await,
            json!("0"),
            "no way into the flow"
        );
        check_screen(&b, "0-setup").await;
        b.close().await;
    }
}

#[tokio::test]
async fn the_phone_keypad_promises_a_text_only_where_the_hall_sends_one_and_long_waits_read_in_hours()
 {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let plain = config(&fake.address(), 40);
    // A gateway on a loopback port nothing listens on: configured is what the kiosk asks.
    let with_sms = format!(
        "{plain}\n[[notify]]\nname = \"sms\"\nurl = \"http://127.0.0.1:9/sms\"\nsecret = \"a-test-secret-of-32-characters!!\"\n"
    );
    for (cfg, promise, name) in [(plain, false, "no-sms"), (with_sms, true, "sms")] {
        let hall = TestHall::spawn_with(&cfg).await;
        let (_, h) = hall.get("/api/v1/hall", None).await;
        assert_eq!(
            h["notifications"]["sms"],
            json!(promise),
            "{}",
            h["notifications"]
        );
        let b = open(&hall, "").await;
        tap(&b, "#take").await;
        screen(&b, "depts").await;
        tap_dept(&b, "市监局").await;
        screen(&b, "queues").await;
        tap(&b, "[data-queue=qydj] button.go").await;
        screen(&b, "phone").await;
        let hint = text(&b, "main .sub").await;
        assert_eq!(hint.contains("短信"), promise, "{name}: {hint}");
        check_screen(&b, &format!("15-phone-keypad-{name}")).await;
        if !promise {
            // A long wait reads in hours and minutes, in both languages.
            let words = b
                .client
                .execute_async(
                    "const done = arguments[0]; import('/kiosk/i18n.js').then((m) => { const zh = m.duration(8640); m.setLang('en'); done([zh, m.duration(8640), m.duration(900)]); });",
                    vec![],
                )
                .await
                .expect("runs");
            assert_eq!(words, json!(["2小时24分", "2 h 24 min", "15 min"]));
        }
        b.close().await;
        hall.stop().await;
    }
}
