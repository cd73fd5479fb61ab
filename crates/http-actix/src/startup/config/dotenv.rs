//! A malformed `.env` reported by its line, for the operator to find.

/// A malformed `.env` as ".env line N: ...". dotenvy's own message gives the
/// offending text and a character index into it (sometimes into the value
/// only), not a line number. The value is not repeated: it may be a secret.
pub(super) fn dotenv_problem(error: &dotenvy::Error) -> String {
    let dotenvy::Error::LineParse(text, index) = error else {
        return format!(".env: {error}");
    };
    let Some((name, contents)) = dotenv_file() else {
        return format!(".env: {error}");
    };
    let Some((number, line, column)) = dotenv_line(&contents, text, *index) else {
        return format!(".env: {error}");
    };
    match (dotenv_key(line), column) {
        // The error is past the line: dotenvy read on, looking for the
        // closing quote, to the end of the file.
        (Some(key), None) => {
            format!("{name} line {number}: the value of {key} opens a quote that is never closed")
        }
        (Some(key), Some(column)) => format!(
            "{name} line {number}: the value of {key} cannot be parsed at column {column}; a \
             value holding spaces or # must be quoted ({key}=\"two words\")"
        ),
        (None, column) => format!(
            "{name} line {number}: expected NAME=value, NAME made of letters, digits and _{}",
            column.map(|c| format!(" (column {c})")).unwrap_or_default()
        ),
    }
}

/// The `.env` dotenvy loads (the first in the current directory or its
/// parents): how to call it and its contents.
fn dotenv_file() -> Option<(String, String)> {
    let cwd = std::env::current_dir().ok()?;
    let path = cwd
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|path| path.is_file())?;
    let name = if path.parent() == Some(cwd.as_path()) {
        ".env".to_owned()
    } else {
        path.display().to_string()
    };
    Some((name, std::fs::read_to_string(&path).ok()?))
}

/// The 1-based number of the line dotenvy could not parse, the line, and
/// the 1-based column of the error when it is on that line. The reported
/// text starts on that line (a quoted value may span lines); the first line
/// that holds it and does not parse on its own is the one.
fn dotenv_line<'a>(
    contents: &'a str,
    text: &str,
    index: usize,
) -> Option<(usize, &'a str, Option<usize>)> {
    let first = text
        .lines()
        .next()
        .filter(|first| !first.trim().is_empty())?;
    contents.lines().enumerate().find_map(|(i, line)| {
        let offset = line.find(first)?;
        let fails_alone = dotenvy::from_read_iter(line.as_bytes()).any(|item| item.is_err());
        fails_alone.then(|| {
            let column = line[..offset].chars().count() + index + 1;
            (
                i + 1,
                line,
                (column <= line.chars().count() + 1).then_some(column),
            )
        })
    })
}

/// `NAME` of a `NAME=...` (or `export NAME=...`) line.
fn dotenv_key(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let (key, _) = line.split_once('=')?;
    let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    valid.then_some(key)
}
