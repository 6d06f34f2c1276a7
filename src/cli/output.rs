//! The one place that writes result files. A directory of results appears whole or not at all:
//! files are written into a temporary sibling directory that is then renamed into place, and an
//! existing directory is only replaced with `--force`, after the new one is complete.

use std::fs;
use std::path::{Path, PathBuf};

use std::sync::Mutex;

use steppe::error::Error as CliError;

/// Temporary files and directories being written right now: removed if the user interrupts
/// (Ctrl-C), so that an interrupted write leaves nothing behind.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes whatever is half-written; called from the Ctrl-C handler.
pub fn remove_pending() {
    if let Ok(pending) = PENDING.lock() {
        for path in pending.iter() {
            let _ = if path.is_dir() {
                fs::remove_dir_all(path)
            } else {
                fs::remove_file(path)
            };
        }
    }
}

fn track(path: &Path) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.push(path.to_path_buf());
    }
}

fn untrack(path: &Path) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.retain(|p| p != path);
    }
}

/// Every file name steppe writes into a result directory (of any command).
pub const RESULT_FILES: [&str; 12] = [
    "partial.json",
    "sensitivity.json",
    "sensitivity.csv",
    "discovery.json",
    "summary.json",
    "series.csv",
    "metrics.csv",
    "runs.csv",
    "comparison.json",
    "comparison.csv",
    "sweep.json",
    "sweep.csv",
];

/// Whether `dir` may be written: it does not exist, or `force` is given and it is a directory
/// holding only steppe's result files. Called before simulating, so a long run is not wasted.
pub fn check_dir(dir: &Path, force: bool) -> Result<(), CliError> {
    if !dir.exists() {
        return Ok(());
    }
    if !force {
        return Err(CliError::Usage(format!(
            "{} already exists; choose another --out directory or add --force to replace it",
            dir.display()
        )));
    }
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "{} exists and is not a directory",
            dir.display()
        )));
    }
    // --force replaces results, never anything else: refuse a directory holding other files.
    let entries = fs::read_dir(dir).map_err(|e| failure("read", dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| failure("read", dir, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = if entry.path().is_dir() {
            // The charts folder, holding only charts.
            name == "charts"
                && fs::read_dir(entry.path())
                    .map_err(|e| failure("read", &entry.path(), &e))?
                    .all(|c| {
                        c.is_ok_and(|c| {
                            c.path().is_file() && c.file_name().to_string_lossy().ends_with(".svg")
                        })
                    })
        } else {
            RESULT_FILES.contains(&name.as_str())
        };
        if !ours {
            return Err(CliError::Usage(format!(
                "{} holds {name}, which steppe did not write; --force only replaces a directory of steppe results",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Writes `files` (name, contents) as the directory `dir`.
pub fn write_dir<N: AsRef<str>>(
    dir: &Path,
    files: &[(N, String)],
    force: bool,
) -> Result<(), CliError> {
    check_dir(dir, force)?;
    let exists = dir.exists();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| failure("create", &parent, &e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let temporary = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    track(&temporary);
    let result = (|| {
        fs::create_dir(&temporary).map_err(|e| failure("create", &temporary, &e))?;
        // Test hook: STEPPE_FAIL_AFTER_FILES=k makes the write fail after k files, so tests can
        // check that a failure half-way leaves earlier results as they were.
        let fail_after: Option<usize> = std::env::var("STEPPE_FAIL_AFTER_FILES")
            .ok()
            .and_then(|v| v.parse().ok());
        for (written, (file, contents)) in files.iter().enumerate() {
            if fail_after == Some(written) {
                return Err(CliError::Failure(format!(
                    "cannot write {}: simulated failure (STEPPE_FAIL_AFTER_FILES)",
                    dir.display()
                )));
            }
            let path = temporary.join(file.as_ref());
            if let Some(folder) = path.parent() {
                fs::create_dir_all(folder).map_err(|e| failure("create", folder, &e))?;
            }
            fs::write(&path, contents).map_err(|e| failure("write", &path, &e))?;
        }
        if exists {
            // Keep the old results until the new ones are in place.
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            fs::rename(dir, &old).map_err(|e| failure("move aside", dir, &e))?;
            if let Err(e) = fs::rename(&temporary, dir) {
                let _ = fs::rename(&old, dir);
                return Err(failure("replace", dir, &e));
            }
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&temporary, dir).map_err(|e| failure("create", dir, &e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temporary);
    }
    untrack(&temporary);
    result
}

fn failure(action: &str, path: &Path, error: &std::io::Error) -> CliError {
    CliError::Failure(format!("cannot {action} {}: {error}", path.display()))
}

/// Writes one file atomically (temporary sibling, then rename); an existing file is only
/// replaced with `force`.
pub fn write_file(path: &Path, contents: &str, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::Usage(format!(
            "{} already exists; choose another name or add --force to replace it",
            path.display()
        )));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let temporary = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&temporary, contents).map_err(|e| failure("write", &temporary, &e))?;
    fs::rename(&temporary, path).map_err(|e| {
        let _ = fs::remove_file(&temporary);
        failure("create", path, &e)
    })
}
