//! The house rules a grep can keep: handlers read the plan and the server's typed settings,
//! never the raw config file's structs; only store/ holds a database connection.

/// Every `.rs` file under `dir`, with its text before any `#[cfg(test)]`.
pub fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
                out.push((path.to_string_lossy().replace('\\', "/"), code));
            }
        }
    }
    out
}

#[test]
fn handlers_never_see_the_raw_config() {
    let offenders: Vec<String> = sources("src/http")
        .into_iter()
        .filter(|(_, code)| code.contains("crate::config") || code.contains(".config."))
        .map(|(name, _)| name)
        .collect();
    assert!(
        offenders.is_empty(),
        "handlers read the plan and ServerSettings, not Config: {offenders:?}"
    );
}

/// Only store/ speaks SQL: no `rusqlite` connection anywhere else in the server crate. (Reports
/// and the reports bench read through `Reader::report`'s typed view; `Reader::with` is private
/// to store/, so the compiler keeps that half.)
#[test]
fn no_connection_outside_the_store() {
    let offenders: Vec<String> = sources("src")
        .into_iter()
        .filter(|(name, _)| !name.starts_with("src/store/"))
        .filter(|(_, code)| {
            code.contains("rusqlite")
                || code.contains("Connection::")
                || code.contains("&Connection")
                || code.contains("reader.with(")
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        offenders.is_empty(),
        "SQL connections outside store/: {offenders:?}"
    );
}
