//! The browser harness itself: Chromium renders a page served by the hall, with the CJK font
//! set this run chose and not the other one.

use crate::hall::TestHall;
use crate::helpers::{Browser, CjkFont};

#[tokio::test]
async fn chromium_renders_a_screen_served_by_the_hall() {
    let hall = TestHall::spawn().await;
    let b = Browser::start(1280, 800).await;
    b.client
        .goto(&format!("{}/kiosk/", hall.base))
        .await
        .expect("navigates");
    let ready = b.wait_for("document.readyState === 'complete'", 10).await;
    assert_eq!(ready, serde_json::json!(true));
    let (w, h) = (
        b.wait_for("window.innerWidth", 5).await,
        b.wait_for("window.innerHeight", 5).await,
    );
    assert_eq!((w, h), (serde_json::json!(1280), serde_json::json!(800)));

    // Chinese text set in each family, its height (the primary font's ascent and descent)
    // against monospace: the run's family is there, the other set is not (it falls back).
    let heights = b
        .wait_for(
            r#"(() => {
              const h = (f) => { const s = document.createElement('span');
                s.style.font = `100px ${f}`; s.textContent = '政务服务中心叫号大屏';
                document.body.append(s); const r = s.getBoundingClientRect().height; s.remove(); return r; };
              return { wqy: h('"WenQuanYi Micro Hei", monospace'),
                       noto: h('"Noto Sans CJK SC", monospace'), mono: h('monospace') };
            })()"#,
            5,
        )
        .await;
    let font = CjkFont::of_run();
    let (mine, other) = match font {
        CjkFont::WenQuanYi => ("wqy", "noto"),
        CjkFont::Noto => ("noto", "wqy"),
    };
    assert_ne!(
        heights[mine],
        heights["mono"],
        "{} is there: {heights}",
        font.family()
    );
    assert_eq!(
        heights[other], heights["mono"],
        "the other CJK set is hidden: {heights}"
    );
    b.close().await;
}
