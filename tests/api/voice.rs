//! The voice clip pack: built in by default, replaced by a recorded folder through
//! `[voice] pack`, never serving anything outside that folder.

use crate::helpers::*;

#[tokio::test]
async fn the_built_in_pack_is_served() {
    let hall = TestHall::spawn().await;
    let (s, manifest) = hall.get("/display/voice/manifest.json", None).await;
    assert_eq!(s, 200);
    let chime = manifest["clips"]["chime"].as_str().expect("a chime");
    let res = hall
        .http
        .get(format!("{}/display/voice/{chime}", hall.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("audio/"))
    );
}

#[tokio::test]
async fn a_recorded_pack_replaces_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pack = dir.path().join("recorded");
    std::fs::create_dir(&pack).expect("pack dir");
    std::fs::write(
        pack.join("manifest.json"),
        r#"{"name": "recorded", "clips": {"chime": "chime.wav"}}"#,
    )
    .expect("manifest");
    std::fs::write(pack.join("chime.wav"), b"RIFF-recorded").expect("clip");
    std::fs::write(dir.path().join("secret.txt"), b"not for screens").expect("secret");
    let config = shipped_config().replace("[voice]\n", "[voice]\npack = \"recorded\"\n");
    let hall = TestHall::spawn_in(dir.path(), &config).await;

    let (s, manifest) = hall.get("/display/voice/manifest.json", None).await;
    assert_eq!(s, 200);
    assert_eq!(manifest["name"], "recorded");
    let res = hall
        .http
        .get(format!("{}/display/voice/chime.wav", hall.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "audio/wav");
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"RIFF-recorded");
    for path in [
        "../secret.txt",
        "..%2Fsecret.txt",
        "%2E%2E/secret.txt",
        "missing.wav",
    ] {
        let (s, _) = hall.get(&format!("/display/voice/{path}"), None).await;
        assert_eq!(s, 404, "{path}");
    }
    // The rest of the screens are still the built-in ones.
    let (s, _) = hall.get("/display/window.html", None).await;
    assert_eq!(s, 200);
}
