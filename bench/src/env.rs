//! What the figures were measured on, for the report's header: date, git commit, cores,
//! CPU, the `lianluo` binary and whether it is a release build, and the filesystem the
//! nodes' data dirs live on (fsync cost depends on it). A debug node is several times
//! slower than a release one, so full mode refuses it unless told otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The `lianluo` binary the harness will run: `$LIANLUO_BIN`, else `lianluo` next to this
/// executable (what `cargo build` puts side by side).
pub fn lianluo_bin() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("LIANLUO_BIN") {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("LIANLUO_BIN={} is not a file", p.display());
        }
        return Ok(p);
    }
    let exe = std::env::current_exe().context("cannot find this executable's path")?;
    let bin = exe.with_file_name("lianluo");
    if !bin.is_file() {
        bail!(
            "{} not found: build it (`cargo build --release -p lianluo-node`) or set \
             LIANLUO_BIN to a lianluo binary",
            bin.display()
        );
    }
    Ok(bin)
}

/// Whether `bin` is a release build, and how that was decided. A dev-profile build of
/// this workspace carries DWARF line tables (`debug = "line-tables-only"`), i.e. an ELF
/// section `.debug_line`; a release build carries none (cargo strips debuginfo when
/// `debug` is off).
pub fn is_release(bin: &Path) -> Result<(bool, String)> {
    let data = std::fs::read(bin).with_context(|| format!("cannot read {}", bin.display()))?;
    let sections = elf_sections(&data)
        .with_context(|| format!("{} is not a 64-bit little-endian ELF", bin.display()))?;
    let has_dwarf = sections.iter().any(|s| s == ".debug_line");
    let in_dir = bin
        .parent()
        .and_then(Path::file_name)
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    let why = format!(
        "{} .debug_line section, in a `{in_dir}` dir",
        if has_dwarf { "has a" } else { "no" }
    );
    Ok((!has_dwarf, why))
}

/// Section names of a 64-bit little-endian ELF file.
fn elf_sections(d: &[u8]) -> Option<Vec<String>> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(d.get(o..o + 8)?.try_into().ok()?));
    if d.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = usize::try_from(u64_at(0x28)?).ok()?;
    let (entsize, num, strndx) = (
        usize::from(u16_at(0x3a)?),
        usize::from(u16_at(0x3c)?),
        usize::from(u16_at(0x3e)?),
    );
    let header = |i: usize| shoff + i * entsize;
    let strtab = usize::try_from(u64_at(header(strndx) + 0x18)?).ok()?;
    (0..num)
        .map(|i| {
            let name = strtab + usize::try_from(u32_at(header(i))?).ok()?;
            let bytes = d.get(name..)?;
            let end = bytes.iter().position(|b| *b == 0)?;
            Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
        })
        .collect()
}

/// `git rev-parse --short HEAD` of the bench's source tree (with `-dirty` when it has
/// changes), if git can tell.
pub fn git_commit() -> Option<String> {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(tree)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = run(&["rev-parse", "--short", "HEAD"])?;
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// Logical cores available to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The CPU model from /proc/cpuinfo.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Total memory from /proc/meminfo, in GiB.
pub fn mem_gib() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: f64 = text
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0 / 1024.0)
}

/// How busy the CPUs are with other work, measured over one second from /proc/stat
/// (other work on the machine skews every figure), e.g. "3% busy".
pub fn cpu_busy() -> String {
    let read = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal …
        let idle = v.get(3)? + v.get(4)?;
        Some((v.iter().take(8).sum(), idle))
    };
    let Some((t0, i0)) = read() else {
        return "unknown".to_string();
    };
    std::thread::sleep(std::time::Duration::from_secs(1));
    let Some((t1, i1)) = read() else {
        return "unknown".to_string();
    };
    let (total, idle) = (t1.saturating_sub(t0), i1.saturating_sub(i0));
    if total == 0 {
        return "unknown".to_string();
    }
    format!(
        "{:.0}% busy",
        100.0 * (total - idle.min(total)) as f64 / total as f64
    )
}

/// The mount point and filesystem type holding `path` (longest mount prefix in
/// /proc/mounts).
pub fn filesystem_of(path: &Path) -> String {
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown".to_string();
    };
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, mnt, fs) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(mnt)
                .then(|| (mnt.to_string(), fs.to_string()))
        })
        .max_by_key(|(mnt, _)| mnt.len())
        .map_or_else(|| "unknown".to_string(), |(m, fs)| format!("{fs} at {m}"))
}

/// Today's date and time, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_string())
}
