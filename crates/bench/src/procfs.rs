//! CPU time and memory of a process, read from `/proc` (Linux only; elsewhere every
//! reading is `None`).

use std::sync::OnceLock;

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`, usually 100).
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// User plus system CPU seconds a process has used so far (`utime + stime`).
/// `pid` of `None` means this process.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: fields after the
    // last ')' start with field 3 (state).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime), counted from 1, are at 11 and 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    #[allow(clippy::cast_precision_loss)]
    Some((utime + stime) as f64 / clock_ticks())
}

/// A `kB` line of `/proc/PID/status`, such as `VmHWM` (peak resident set) or `VmRSS`.
pub fn status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// CPU time of the whole machine so far, in seconds summed over all cores: `busy` (user,
/// nice, system, irq, softirq), `idle` (idle, iowait) and `steal` (taken by the hypervisor).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MachineTimes {
    pub busy: f64,
    pub idle: f64,
    pub steal: f64,
}

impl MachineTimes {
    /// The first line of `/proc/stat`.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        let ticks = clock_ticks();
        #[allow(clippy::cast_precision_loss)]
        let secs = |t: u64| t as f64 / ticks;
        Some(MachineTimes {
            busy: secs(at(0) + at(1) + at(2) + at(5) + at(6)),
            idle: secs(at(3) + at(4)),
            steal: secs(at(7)),
        })
    }

    /// What was spent between `earlier` and `self`.
    #[must_use]
    pub fn since(self, earlier: MachineTimes) -> MachineTimes {
        MachineTimes {
            busy: self.busy - earlier.busy,
            idle: self.idle - earlier.idle,
            steal: self.steal - earlier.steal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_can_be_read() {
        if cfg!(target_os = "linux") {
            assert!(cpu_seconds(None).is_some());
            assert!(status_kib(None, "VmHWM").is_some_and(|k| k > 0));
            assert!(MachineTimes::read().is_some_and(|m| m.busy > 0.0));
        }
    }
}
