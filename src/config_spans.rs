//! Where in config/hall.toml a fault is, from the TOML parser's own spans (`toml::de::DeTable`
//! keeps the byte range of every key and value): the table, the entry of a `[[table]]` and
//! the key for an offset the parser reported, and the offset of a key validation refused.

use toml::de::{DeTable, DeValue};

/// A place in the file: table, entry of a `[[table]]`, (dotted) key.
#[derive(Debug, PartialEq, Eq)]
pub struct Place {
    pub table: String,
    pub index: Option<usize>,
    pub key: String,
}

/// The place of the key whose name or value holds byte `offset` (a serde error's span).
pub fn at_offset(root: &DeTable<'_>, offset: usize) -> Option<Place> {
    for (name, value) in root {
        let place = |index, key| Place {
            table: name.get_ref().to_string(),
            index,
            key,
        };
        match value.get_ref() {
            DeValue::Table(t) => {
                if let Some(key) = key_at(t, offset) {
                    return Some(place(None, key));
                }
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref()
                        && let Some(key) = key_at(t, offset)
                    {
                        return Some(place(Some(i), key));
                    }
                }
            }
            _ => {}
        }
        if name.span().contains(&offset) || value.span().contains(&offset) {
            // A top-level key, or the header of a table.
            return Some(Place {
                table: String::new(),
                index: None,
                key: name.get_ref().to_string(),
            });
        }
    }
    None
}

/// The (dotted) key of `t` whose name or value holds `offset`, looking into sub-tables.
fn key_at(t: &DeTable<'_>, offset: usize) -> Option<String> {
    for (name, value) in t {
        if let DeValue::Table(inner) = value.get_ref()
            && let Some(sub) = key_at(inner, offset)
        {
            return Some(format!("{}.{sub}", name.get_ref()));
        }
        if name.span().contains(&offset) || value.span().contains(&offset) {
            return Some(name.get_ref().to_string());
        }
    }
    None
}

/// The byte offset of `key` in `[table]` or in the `index`-th `[[table]]` (found in a
/// sub-table of the entry when not at its top, as `[queues.appointments]` keys are), else of
/// the table's header.
pub fn of_key(root: &DeTable<'_>, table: &str, index: Option<usize>, key: &str) -> Option<usize> {
    let value = root.get(table)?;
    let entry = match (value.get_ref(), index) {
        (DeValue::Array(items), Some(i)) => items.get(i)?,
        (_, None) => value,
        _ => return None,
    };
    match entry.get_ref() {
        DeValue::Table(t) => Some(find_key(t, key).unwrap_or(entry.span().start)),
        _ => Some(entry.span().start),
    }
}

/// Where `key` is named in `t` or, failing that, in one of its sub-tables.
fn find_key(t: &DeTable<'_>, key: &str) -> Option<usize> {
    if let Some((name, _)) = t.get_key_value(key) {
        return Some(name.span().start);
    }
    t.values().find_map(|v| match v.get_ref() {
        DeValue::Table(inner) => find_key(inner, key),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[hall]\nname = \"x\"\n\n[[windows]]\nnumbers = \"1\"\n\n[[windows]]\nnumbers = \"2\"\nqueues = [\"a\"]\n\n[[queues]]\nid = \"a\"\n[queues.appointments]\nslot_minutes = 3\n";

    fn line(offset: usize) -> usize {
        TEXT[..offset].matches('\n').count() + 1
    }

    #[test]
    fn keys_and_entries_are_found_by_their_spans() {
        let doc = DeTable::parse(TEXT).expect("toml");
        let root = doc.get_ref();
        let at = |t, i, k| of_key(root, t, i, k).map(line);
        assert_eq!(at("hall", None, "name"), Some(2));
        assert_eq!(at("windows", Some(1), "queues"), Some(9));
        // A key the entry lacks: its [[windows]] header.
        assert_eq!(at("windows", Some(0), "queues"), Some(4));
        assert_eq!(at("queues", Some(0), "slot_minutes"), Some(14));
        assert_eq!(at("windows", Some(5), "queues"), None);

        let offset = TEXT.find("[\"a\"]").expect("there");
        assert_eq!(
            at_offset(root, offset),
            Some(Place {
                table: "windows".into(),
                index: Some(1),
                key: "queues".into()
            })
        );
        let offset = TEXT.find("slot_minutes").expect("there");
        assert_eq!(
            at_offset(root, offset).map(|p| (p.index, p.key)),
            Some((Some(0), "appointments.slot_minutes".into()))
        );
    }
}
