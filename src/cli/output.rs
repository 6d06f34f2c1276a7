//! The one place that writes result files, and what happens when steppe is stopped while it
//! writes them. A result appears whole or not at all, `--force` replaces only what steppe
//! wrote, and a signal, a full disk or a killed process never costs the previous result.
//!
//! **Whole or not at all.** A result directory is written into a temporary sibling,
//! `.NAME.tmp-PID-NONCE`, then put in place by one rename; a single file (`report -o`,
//! `init`) likewise. With `--force` over an earlier result, the two directories are swapped by
//! one atomic `renameat2(RENAME_EXCHANGE)` (`renameatx_np(RENAME_SWAP)` on macOS) and the old
//! one is removed afterwards. Where the system or the file system cannot swap (NFS, other
//! systems), the old result is first renamed aside to `.NAME.old-PID-NONCE`: a steppe killed
//! between the two renames leaves it there, and the next steppe writing NAME puts it back.
//! When a result is replaced, files and directories are synced before the swap, so a crash
//! cannot leave a half-flushed new result where the old one was.
//!
//! **Only what steppe wrote.** Every result directory holds a manifest, [`MANIFEST`], listing
//! each file steppe wrote there with its size and FNV-1a hash. `--force` replaces a directory
//! only if it has one and holds nothing but the files it lists, unchanged: a user's own file,
//! or one they edited, is refused by name and left alone.
//!
//! **Signals act between steps.** Every change to the file system is a *step* taken under the
//! lock of one [`State`], which records how far the write got. The handler of SIGINT and
//! SIGTERM, [`interrupted`] (run on a thread of its own, not inside the signal handler), takes
//! the same lock, so it acts on a known state: it undoes the write (removes the temporary,
//! puts the old result back) or, if the new result is already in place, finishes it (removes
//! the old one); it says which, and ends the process while it still holds the lock, so the
//! writer cannot take another step. Outside a write it ends the process at once.
//!
//! **Leftovers are recognised, not guessed.** While a process writes, it holds an exclusive
//! `flock` on the manifest of its temporary directory (or on its temporary file) and on the
//! manifest of the result it replaces. A lock dies with its process, so a leftover whose lock
//! can be taken was left by a process that is gone (SIGKILL, a crash): the next write of the
//! same name removes it, or puts back the old result it had moved aside. A leftover that is
//! locked (a live steppe is writing it) or cannot be locked (a file system without locks) is
//! left alone, and so is anything not named like steppe's temporaries. Names carry a nonce as
//! well as the PID, so a stale temporary of a killed process with the same PID (common in
//! containers) does not get in the way.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use steppe::error::Error;

/// The manifest of a result directory: the files steppe wrote there, one a line (FNV-1a 64
/// hash in hex, size in bytes, name), after two comment lines.
pub const MANIFEST: &str = ".steppe-manifest";

/// Largest manifest read: more is not one steppe wrote.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Ends the process after a signal (SIGINT 2, SIGTERM 15): settles a write in progress (undoes
/// it, or finishes it if the new result is already in place), says on stderr what is on disk,
/// and dies of the signal — a shell reports 130 or 143 and stops a script that ran steppe. As
/// PID 1 of a container, where the default action of a signal does nothing, it exits with
/// 128 + the signal instead. Called on a thread of its own, never inside a signal handler.
pub fn interrupted(signal: i32) -> ! {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let mut state = lock();
    let mut said = Vec::new();
    if !state.written.is_empty() {
        let paths: Vec<String> = state
            .written
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        said.push(format!("{} was written in full", paths.join(", ")));
    }
    match state.current.take().map(settle) {
        Some(Settled::Kept(target)) => said.push(format!(
            "nothing was written; {} is as it was",
            target.display()
        )),
        Some(Settled::Written(target)) => {
            said.push(format!("{} was written in full", target.display()))
        }
        Some(Settled::Stuck(problem)) => said.push(problem),
        Some(Settled::Nothing) | None if said.is_empty() => said.push("nothing was written".into()),
        Some(Settled::Nothing) | None => {}
    }
    let _ = writeln!(io::stderr(), "\ninterrupted: {}", said.join("; "));
    #[cfg(unix)]
    if std::process::id() != 1 {
        let _ = signal_hook::low_level::emulate_default_handler(signal);
    }
    // `state` is still locked: the writer cannot take another step before the process ends.
    std::process::exit(128 + signal)
}

/// Ends writing for this process, just before `main` returns: a signal that comes later finds
/// every result complete and leaves the exit to `main`, instead of racing it.
pub fn finish() {
    std::mem::forget(lock());
}

/// Whether `dir` may be written: it does not exist, or `force` is given and it is a directory
/// of steppe results (see [`MANIFEST`]). Leftovers of a steppe killed while writing `dir` are
/// cleaned up first, and an old result it had moved aside is put back. Called before
/// simulating, so a long run is not wasted, and again when writing.
pub fn check_dir(dir: &Path, force: bool) -> Result<(), Error> {
    let place = Place::of(dir)?;
    recover(dir, &place)?;
    let Ok(metadata) = fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if !force {
        return Err(Error::Usage(format!(
            "{} already exists; choose another --out directory or add --force to replace it",
            dir.display()
        )));
    }
    if !metadata.is_dir() {
        return Err(Error::Usage(format!(
            "{} exists and is not a directory{}; --force only replaces a directory of steppe results",
            dir.display(),
            if metadata.is_symlink() {
                " (it is a symbolic link)"
            } else {
                ""
            }
        )));
    }
    let manifest = Manifest::read(dir)?;
    if let Probe::Live = probe(&dir.join(MANIFEST)) {
        return Err(Error::Failure(format!(
            "{} is being written by another steppe process; wait until it has finished",
            dir.display()
        )));
    }
    manifest.check(dir, "")
}

/// Writes `files` (name, contents; a name may hold one folder, `charts/x.svg`) as the directory
/// `dir`, with its manifest; an existing `dir` is replaced only with `force`.
pub fn write_dir<N: AsRef<str>>(
    dir: &Path,
    files: &[(N, String)],
    force: bool,
) -> Result<(), Error> {
    check_dir(dir, force)?;
    let place = Place::of(dir)?;
    let replacing = fs::symlink_metadata(dir).is_ok();
    // Locked for the whole write, so that no other steppe takes the old result, once it is
    // moved aside, for the leftover of a killed process.
    let _previous = if replacing {
        hold(&dir.join(MANIFEST), dir)?
    } else {
        None
    };
    let (temp, mut manifest) = step(|state| {
        let made = make_parents(&place.parent)?;
        let created = create_unique(&place, "tmp", |temp| {
            fs::create_dir(temp)?;
            let file = File::create_new(temp.join(MANIFEST));
            if file.is_err() {
                let _ = fs::remove_dir(temp);
            }
            file
        });
        let (temp, manifest) = created.map_err(|e| {
            for folder in made.iter().rev() {
                let _ = fs::remove_dir(folder);
            }
            failure("create", dir, &e)
        })?;
        let _ = manifest.try_lock();
        state.current = Some(Write::Writing {
            temp: temp.clone(),
            target: dir.to_path_buf(),
            replacing,
            made,
        });
        Ok((temp, manifest))
    })?;
    pause("created");
    // Test hook: STEPPE_FAIL_AFTER_FILES=k makes the write fail after k files, so tests can
    // check that a failure half-way leaves earlier results as they were.
    let fail_after: Option<usize> = std::env::var("STEPPE_FAIL_AFTER_FILES")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut listed = String::new();
    let mut folders = vec![temp.clone()];
    for (written, (name, contents)) in files.iter().enumerate() {
        let name = name.as_ref();
        step(|_| {
            if fail_after == Some(written) {
                return Err(Error::Failure(format!(
                    "cannot write {}: simulated failure (STEPPE_FAIL_AFTER_FILES)",
                    dir.display()
                )));
            }
            let path = temp.join(name);
            let shown = dir.join(name);
            if let Some(folder) = path.parent().filter(|f| !folders.iter().any(|k| k == f)) {
                fs::create_dir_all(folder).map_err(|e| failure("create", &shown, &e))?;
                folders.push(folder.to_path_buf());
            }
            let mut file = File::create_new(&path).map_err(|e| failure("write", &shown, &e))?;
            file.write_all(contents.as_bytes())
                .and_then(|()| if replacing { file.sync_all() } else { Ok(()) })
                .map_err(|e| failure("write", &shown, &e))
        })?;
        listed.push_str(&format!(
            "{:016x} {} {name}\n",
            fnv1a(FNV_START, contents.as_bytes()),
            contents.len()
        ));
        pause(&format!("file-{}", written + 1));
    }
    step(|_| {
        let text = format!("{MANIFEST_HEADER}{listed}");
        manifest
            .write_all(text.as_bytes())
            .and_then(|()| {
                if replacing {
                    manifest.sync_all()?;
                    folders.iter().try_for_each(|f| sync_dir(f))
                } else {
                    Ok(())
                }
            })
            .map_err(|e| failure("write", &dir.join(MANIFEST), &e))
    })?;
    pause("complete");
    if !replacing {
        step(|state| {
            fs::rename(&temp, dir).map_err(|e| failure("create", dir, &e))?;
            state.current = None;
            state.written.push(dir.to_path_buf());
            Ok(())
        })?;
        pause("done");
        return Ok(());
    }
    let exchanged = step(|state| {
        let exchanged = exchange(&temp, dir).map_err(|e| failure("replace", dir, &e))?;
        if exchanged {
            state.current = Some(Write::Replaced {
                old: temp.clone(),
                target: dir.to_path_buf(),
            });
        }
        Ok(exchanged)
    })?;
    if !exchanged {
        // Two renames: the old result aside, then the new one in place. A process killed in
        // between leaves the old one at `old`, and the next steppe writing `dir` puts it back.
        let old = temp.with_file_name(temp_name(&place, "old", &temp));
        step(|state| {
            fs::rename(dir, &old).map_err(|e| failure("move aside", dir, &e))?;
            state.current = Some(Write::MovedAside {
                temp: temp.clone(),
                old: old.clone(),
                target: dir.to_path_buf(),
            });
            Ok(())
        })?;
        pause("moved-aside");
        step(|state| {
            fs::rename(&temp, dir).map_err(|e| failure("replace", dir, &e))?;
            state.current = Some(Write::Replaced {
                old: old.clone(),
                target: dir.to_path_buf(),
            });
            Ok(())
        })?;
    }
    // The swap must be on disk before the old result is gone.
    let _ = sync_dir(&place.parent);
    pause("swapped");
    step(|state| {
        if let Some(Write::Replaced { old, target }) = state.current.take() {
            if let Err(e) = remove(&old) {
                note(&format!(
                    "the previous results of {} are left in {} (cannot remove: {e}); the next steppe writing it removes them",
                    target.display(),
                    old.display()
                ));
            }
            state.written.push(target);
        }
        Ok(())
    })?;
    pause("done");
    Ok(())
}

/// Writes one file (temporary sibling, then rename); an existing file is only replaced with
/// `force`. Stale temporaries of earlier killed writes of the same name are removed first.
pub fn write_file(path: &Path, contents: &str, force: bool) -> Result<(), Error> {
    let replacing = fs::symlink_metadata(path).is_ok();
    if replacing && !force {
        return Err(Error::Usage(format!(
            "{} already exists; choose another name or add --force to replace it",
            path.display()
        )));
    }
    let place = Place::of(path)?;
    for (kind, stale) in leftovers(&place) {
        if kind == Kind::Temp
            && fs::symlink_metadata(&stale).is_ok_and(|m| m.is_file())
            && let Probe::Stale(_lock) = probe(&stale)
        {
            let _ = step(|_| Ok(fs::remove_file(&stale)));
        }
    }
    let (temp, mut file) = step(|state| {
        let (temp, file) = create_unique(&place, "tmp", |temp| File::create_new(temp))
            .map_err(|e| failure("write", path, &e))?;
        let _ = file.try_lock();
        state.current = Some(Write::Writing {
            temp: temp.clone(),
            target: path.to_path_buf(),
            replacing,
            made: Vec::new(),
        });
        Ok((temp, file))
    })?;
    pause("created");
    step(|_| {
        // Test hook (as in `write_dir`): STEPPE_FAIL_AFTER_FILES=0 fails half-way through.
        if std::env::var("STEPPE_FAIL_AFTER_FILES").is_ok_and(|v| v == "0") {
            let half = contents.len() / 2;
            let _ = file.write_all(&contents.as_bytes()[..half]);
            return Err(Error::Failure(format!(
                "cannot write {}: simulated failure (STEPPE_FAIL_AFTER_FILES)",
                path.display()
            )));
        }
        file.write_all(contents.as_bytes())
            .and_then(|()| if replacing { file.sync_all() } else { Ok(()) })
            .map_err(|e| failure("write", path, &e))
    })?;
    pause("complete");
    step(|state| {
        fs::rename(&temp, path).map_err(|e| failure("create", path, &e))?;
        state.current = None;
        state.written.push(path.to_path_buf());
        Ok(())
    })?;
    pause("done");
    Ok(())
}

/// What this process is writing and has written; every change to the file system happens
/// under its lock ([`step`]), so the signal handler only ever sees it between steps.
struct State {
    /// The write in progress, as far as it got.
    current: Option<Write>,
    /// What completed writes put in place.
    written: Vec<PathBuf>,
}

/// How far a write got: enough to undo it, or to finish it, exactly.
enum Write {
    /// The new result is being written into `temp`; `target` is untouched. `made` are the
    /// folders created to hold it, outermost first.
    Writing {
        temp: PathBuf,
        target: PathBuf,
        replacing: bool,
        made: Vec<PathBuf>,
    },
    /// (Two-rename fallback) the old result is at `old` and `target` is absent; the complete
    /// new result is at `temp`.
    MovedAside {
        temp: PathBuf,
        old: PathBuf,
        target: PathBuf,
    },
    /// The new result is in place at `target`; the old one, at `old`, is still to be removed.
    Replaced { old: PathBuf, target: PathBuf },
}

/// What settling a write left on disk.
enum Settled {
    /// No result at the target, as before.
    Nothing,
    /// The previous result is at the target, as it was.
    Kept(PathBuf),
    /// The new result is complete at the target.
    Written(PathBuf),
    /// Undoing failed: what is where.
    Stuck(String),
}

static STATE: Mutex<State> = Mutex::new(State {
    current: None,
    written: Vec::new(),
});

/// Set by [`interrupted`]: the writer takes no more steps.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn lock() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes one step of a write under the lock. A step that fails undoes the write in the same
/// lock, so a failure leaves things as they were.
fn step<T>(action: impl FnOnce(&mut State) -> Result<T, Error>) -> Result<T, Error> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        // The handler is settling the write and ending the process; let it have the lock.
        loop {
            std::thread::park();
        }
    }
    let mut state = lock();
    let result = action(&mut state);
    if result.is_err()
        && let Some(write) = state.current.take()
        && let Settled::Stuck(problem) = settle(write)
    {
        return result.map_err(|error| match error {
            Error::Failure(message) => Error::Failure(format!("{message}; {problem}")),
            other => other,
        });
    }
    result
}

/// Undoes a write, or finishes it if the new result is already in place.
fn settle(write: Write) -> Settled {
    match write {
        Write::Writing {
            temp,
            target,
            replacing,
            made,
        } => {
            if let Err(e) = remove(&temp) {
                return Settled::Stuck(format!(
                    "{} was not touched, but the temporary {} remains (cannot remove: {e}); the next steppe writing it removes it",
                    target.display(),
                    temp.display()
                ));
            }
            for folder in made.iter().rev() {
                let _ = fs::remove_dir(folder);
            }
            if replacing {
                Settled::Kept(target)
            } else {
                Settled::Nothing
            }
        }
        Write::MovedAside { temp, old, target } => match fs::rename(&old, &target) {
            Ok(()) => {
                let _ = remove(&temp);
                Settled::Kept(target)
            }
            Err(e) => Settled::Stuck(format!(
                "nothing was written, but the previous results of {} are in {} (cannot move them back: {e}); the next steppe writing it puts them back",
                target.display(),
                old.display()
            )),
        },
        Write::Replaced { old, target } => {
            let _ = remove(&old);
            Settled::Written(target)
        }
    }
}

/// Where a result goes: the folder that holds it and its name there.
struct Place {
    parent: PathBuf,
    name: String,
}

impl Place {
    fn of(path: &Path) -> Result<Place, Error> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} does not end in a name steppe could write (give a new name, e.g. {}/results)",
                    path.display(),
                    path.display()
                ))
            })?
            .to_string();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Place { parent, name })
    }
}

/// Temporaries (`.NAME.tmp-…`) and results moved aside (`.NAME.old-…`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Temp,
    Old,
}

/// Creates a new sibling of `place` named `.NAME.KIND-PID-NONCE` with `create` (which fails if
/// it exists), trying other nonces while the name is taken.
fn create_unique<T>(
    place: &Place,
    kind: &str,
    create: impl Fn(&Path) -> io::Result<T>,
) -> io::Result<(PathBuf, T)> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut last = None;
    for attempt in 0..64u64 {
        let path = place.parent.join(format!(
            ".{}.{kind}-{}-{:x}",
            place.name,
            std::process::id(),
            nanos.wrapping_add(attempt)
        ));
        match create(&path) {
            Ok(made) => return Ok((path, made)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// The name of kind `kind` with the same PID and nonce as the temporary `temp`.
fn temp_name(place: &Place, kind: &str, temp: &Path) -> String {
    let prefix = format!(".{}.tmp-", place.name);
    let file_name = temp
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let id = file_name.strip_prefix(&prefix).unwrap_or(file_name);
    format!(".{}.{kind}-{id}", place.name)
}

/// Which kind of leftover `file_name` is for results named `name`: `.NAME.tmp-PID-NONCE`,
/// `.NAME.old-PID-NONCE` (or without the nonce, as earlier versions named them).
fn leftover_kind(file_name: &str, name: &str) -> Option<Kind> {
    let rest = file_name
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?;
    let (kind, id) = match rest.strip_prefix("tmp-") {
        Some(id) => (Kind::Temp, id),
        None => (Kind::Old, rest.strip_prefix("old-")?),
    };
    let (pid, nonce) = id.split_once('-').unwrap_or((id, "0"));
    let well_formed = !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !nonce.is_empty()
        && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(kind)
}

/// The leftovers of earlier writes of `place` beside it.
fn leftovers(place: &Place) -> Vec<(Kind, PathBuf)> {
    let Ok(entries) = fs::read_dir(&place.parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Kind, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let kind = leftover_kind(entry.file_name().to_str()?, &place.name)?;
            Some((kind, entry.path()))
        })
        .collect();
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found
}

/// Whether the writer of a leftover is gone.
enum Probe {
    /// Its lock could be taken (and is held by this value): the process that held it is gone.
    Stale(#[allow(dead_code)] File),
    /// Locked: a live process is writing it.
    Live,
    /// The file is not there.
    Missing,
    /// No lock can be taken here (a file system without locks): cannot tell.
    Unknown,
}

fn probe(path: &Path) -> Probe {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Probe::Missing,
        Ok(m) if m.is_file() => {}
        _ => return Probe::Unknown,
    }
    // Opened for writing where possible: NFS emulates flock with write locks.
    let file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(_) => match File::open(path) {
            Ok(file) => file,
            Err(_) => return Probe::Unknown,
        },
    };
    match file.try_lock() {
        Ok(()) => Probe::Stale(file),
        Err(TryLockError::WouldBlock) => Probe::Live,
        Err(TryLockError::Error(_)) => Probe::Unknown,
    }
}

/// Takes the lock of the manifest of the result `dir` about to be replaced, for the write.
fn hold(manifest: &Path, dir: &Path) -> Result<Option<File>, Error> {
    match probe(manifest) {
        Probe::Stale(file) => Ok(Some(file)),
        Probe::Live => Err(Error::Failure(format!(
            "{} is being written by another steppe process; wait until it has finished",
            dir.display()
        ))),
        Probe::Missing | Probe::Unknown => Ok(None),
    }
}

/// Cleans up after steppe processes killed while writing `dir`: puts back an old result one
/// had moved aside if nothing is in its place, and removes their temporaries and obsolete old
/// results. Only leftovers whose writer is provably gone are touched; an empty leftover
/// without a manifest (killed just after creating it) is removed as well.
fn recover(dir: &Path, place: &Place) -> Result<(), Error> {
    let mut stale = Vec::new();
    for (kind, path) in leftovers(place) {
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        match probe(&path.join(MANIFEST)) {
            Probe::Stale(lock) => stale.push((kind, path, lock)),
            // `remove_dir` removes only an empty directory.
            Probe::Missing => step(|_| {
                let _ = fs::remove_dir(&path);
                Ok(())
            })?,
            Probe::Live | Probe::Unknown => {}
        }
    }
    if fs::symlink_metadata(dir).is_err()
        && let Some(i) = stale.iter().position(|(kind, ..)| *kind == Kind::Old)
    {
        let (_, old, _lock) = stale.remove(i);
        step(|_| {
            fs::rename(&old, dir).map_err(|e| {
                Error::Failure(format!(
                    "cannot put back the previous results of {} from {}, left there by a steppe that was stopped while replacing them: {e}",
                    dir.display(),
                    old.display()
                ))
            })
        })?;
        note(&format!(
            "put back the previous results of {} (a steppe was stopped while replacing them)",
            dir.display()
        ));
    }
    for (_, path, _lock) in stale {
        step(|_| {
            let _ = remove(&path);
            Ok(())
        })?;
    }
    Ok(())
}

/// The files a manifest lists: name → (size, hash).
struct Manifest {
    files: BTreeMap<String, (u64, u64)>,
}

const MANIFEST_HEADER: &str = "# steppe wrote these files here (FNV-1a 64 hash, bytes, name). steppe --force replaces\n# this directory only while it holds nothing but these files, unchanged.\n";

impl Manifest {
    /// Reads the manifest of `dir`, refusing a directory that has none.
    fn read(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(MANIFEST);
        let refuse = |why: String| {
            Error::Usage(format!(
                "{} was not written by steppe ({why}); --force only replaces a directory of steppe results: remove it yourself or choose another --out",
                dir.display()
            ))
        };
        let metadata =
            fs::symlink_metadata(&path).map_err(|_| refuse(format!("it has no {MANIFEST}")))?;
        if !metadata.is_file() || metadata.len() > MAX_MANIFEST_BYTES {
            return Err(refuse(format!("{MANIFEST} is not one steppe wrote")));
        }
        let text = fs::read_to_string(&path).map_err(|e| failure("read", &path, &e))?;
        let mut files = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, ' ');
            let entry = (|| {
                let hash = u64::from_str_radix(fields.next()?, 16).ok()?;
                let size = fields.next()?.parse().ok()?;
                Some((fields.next()?.to_string(), (size, hash)))
            })();
            let Some((name, entry)) = entry else {
                return Err(refuse(format!(
                    "line {} of {MANIFEST} is not one steppe writes",
                    number + 1
                )));
            };
            files.insert(name, entry);
        }
        Ok(Manifest { files })
    }

    /// Refuses anything in `dir`/`folder` that the manifest does not list, or that changed.
    fn check(&self, dir: &Path, folder: &str) -> Result<(), Error> {
        let here = dir.join(folder);
        let mut entries = Vec::new();
        for entry in fs::read_dir(&here).map_err(|e| failure("read", &here, &e))? {
            entries.push(entry.map_err(|e| failure("read", &here, &e))?);
        }
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            };
            let kind = entry
                .file_type()
                .map_err(|e| failure("read", &entry.path(), &e))?;
            if kind.is_file() && relative == MANIFEST {
                continue;
            }
            let prefix = format!("{relative}/");
            if kind.is_dir() && self.files.keys().any(|k| k.starts_with(&prefix)) {
                self.check(dir, &relative)?;
                continue;
            }
            match self.files.get(&relative) {
                Some(&(size, hash)) if kind.is_file() => {
                    if !unchanged(&entry.path(), size, hash)? {
                        return Err(Error::Usage(format!(
                            "{} was changed since steppe wrote it; --force does not replace a file you edited: move it away or choose another --out",
                            entry.path().display()
                        )));
                    }
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "{} holds {relative}, which steppe did not write; --force only replaces a directory of steppe results",
                        dir.display()
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Whether the file at `path` still has the size and hash steppe wrote.
fn unchanged(path: &Path, size: u64, hash: u64) -> Result<bool, Error> {
    let read = |e: io::Error| failure("read", path, &e);
    if fs::symlink_metadata(path).map_err(read)?.len() != size {
        return Ok(false);
    }
    let mut file = File::open(path).map_err(read)?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut state = FNV_START;
    loop {
        let n = file.read(&mut buffer).map_err(read)?;
        if n == 0 {
            return Ok(state == hash);
        }
        state = fnv1a(state, &buffer[..n]);
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: enough to notice an edited file (this is not a defence against forgery).
fn fnv1a(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        state ^= u64::from(byte);
        state = state.wrapping_mul(0x0000_0100_0000_01b3);
    }
    state
}

/// Swaps two paths in one atomic step. `Ok(false)` where the system or the file system cannot
/// (NFS, older kernels, other systems), or under the test hook `STEPPE_NO_EXCHANGE`, which
/// takes the fallback.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    if std::env::var_os("STEPPE_NO_EXCHANGE").is_some() {
        return Ok(false);
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(true),
            Err(e)
                if [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP].contains(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let _ = (a, b);
    Ok(false)
}

/// Removes a temporary or old result this process owns or proved stale: a directory's manifest
/// last, so a removal cut short by SIGKILL still leaves a directory the next steppe knows.
fn remove(path: &Path) -> io::Result<()> {
    if !fs::symlink_metadata(path)?.is_dir() {
        return fs::remove_file(path);
    }
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_name() == MANIFEST {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    match fs::remove_file(path.join(MANIFEST)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::remove_dir(path)
}

/// Creates the missing folders of `parent`; returns those it created, outermost first.
fn make_parents(parent: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    fs::create_dir_all(parent).map_err(|e| failure("create", parent, &e))?;
    Ok(missing)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A line on stderr that cannot fail (a closed stderr is not worth a panic).
fn note(message: &str) {
    let _ = writeln!(io::stderr(), "note: {message}");
}

/// Test hook: `STEPPE_PAUSE_AT=STEP` stops the writer just after STEP — `created`, `file-K`
/// (K files written), `complete`, `moved-aside` (fallback only), `swapped`, `done` — outside
/// the lock, writes STEP into the file named by `STEPPE_PAUSE_READY`, and sleeps 30 s, so a
/// test can deliver a signal at a known point of a write.
fn pause(step: &str) {
    if std::env::var("STEPPE_PAUSE_AT").is_ok_and(|at| at == step) {
        if let Some(ready) = std::env::var_os("STEPPE_PAUSE_READY") {
            let _ = fs::write(ready, step);
        }
        std::thread::sleep(Duration::from_secs(30));
    }
}

fn failure(action: &str, path: &Path, error: &io::Error) -> Error {
    Error::Failure(format!("cannot {action} {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_known_by_their_exact_names_only() {
        let kind = |file_name| leftover_kind(file_name, "res");
        assert!(kind(".res.tmp-12-1a2b") == Some(Kind::Temp));
        assert!(kind(".res.old-12-1a2b") == Some(Kind::Old));
        assert!(
            kind(".res.tmp-12") == Some(Kind::Temp),
            "as earlier versions named them"
        );
        for other in [
            "res",
            "res.tmp-12-1a",
            ".res.tmp-",
            ".res.tmp-12-",
            ".res.tmp-x-1a",
            ".res.tmp-12-xyz",
            ".res.b.tmp-12-1a",
            ".resb.tmp-12-1a",
            ".res.tmpl-12-1a",
            ".res.new-12-1a",
        ] {
            assert!(kind(other).is_none(), "{other}");
        }
    }

    #[test]
    fn fnv1a_matches_its_reference_values() {
        assert_eq!(fnv1a(FNV_START, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_START, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fnv1a(fnv1a(FNV_START, b"foo"), b"bar"),
            fnv1a(FNV_START, b"foobar")
        );
    }
}
