//! Durations as the .NET `TimeSpan` prints them: `hh:mm:ss` in JSON (`json-track.md`,
//! `"Duration": "00:06:09"`) and `xs:duration` in XML (`uri-content-lookup.md`,
//! `<Duration>PT6M7S</Duration>`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::Write as _;

/// A non-negative duration with millisecond precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: u64,
}

const MS_PER_SECOND: u64 = 1000;
const MS_PER_MINUTE: u64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

impl Duration {
    pub fn from_millis(millis: u64) -> Self {
        Duration { millis }
    }

    pub fn from_secs(secs: u64) -> Self {
        Duration { millis: secs * MS_PER_SECOND }
    }

    pub fn as_millis(self) -> u64 {
        self.millis
    }

    /// `TimeSpan`'s constant ("c") format: `[d.]hh:mm:ss[.fffffff]`.
    pub fn to_timespan(self) -> String {
        let m = self.millis;
        let (days, hours) = (m / MS_PER_DAY, (m % MS_PER_DAY) / MS_PER_HOUR);
        let (minutes, seconds) = ((m % MS_PER_HOUR) / MS_PER_MINUTE, (m % MS_PER_MINUTE) / MS_PER_SECOND);
        let frac = m % MS_PER_SECOND;
        let mut s = String::with_capacity(16);
        if days > 0 {
            let _ = write!(s, "{days}.");
        }
        let _ = write!(s, "{hours:02}:{minutes:02}:{seconds:02}");
        if frac > 0 {
            let _ = write!(s, ".{:07}", frac * 10_000);
        }
        s
    }

    /// Parses `TimeSpan`'s constant format (`hh:mm:ss`, `d.hh:mm:ss`, optional fraction).
    pub fn parse_timespan(s: &str) -> Option<Self> {
        let (days, rest) = match s.split_once(':') {
            Some((head, _)) if head.contains('.') => {
                let (d, _) = head.split_once('.')?;
                (parse_u64(d)?, &s[d.len() + 1..])
            }
            _ => (0, s),
        };
        let mut parts = rest.splitn(3, ':');
        let hours = parse_u64(parts.next()?)?;
        let minutes = parse_u64(parts.next()?)?;
        let sec_part = parts.next()?;
        let (secs, frac) = match sec_part.split_once('.') {
            Some((s, f)) => (parse_u64(s)?, parse_fraction_millis(f)?),
            None => (parse_u64(sec_part)?, 0),
        };
        if hours > 23 || minutes > 59 || secs > 59 {
            return None;
        }
        let millis = days
            .checked_mul(MS_PER_DAY)?
            .checked_add(hours * MS_PER_HOUR + minutes * MS_PER_MINUTE + secs * MS_PER_SECOND + frac)?;
        Some(Duration { millis })
    }

    /// `xs:duration`, as `DataContractSerializer` writes a `TimeSpan`: `PT6M7S`, `PT1H14M24S`.
    pub fn to_xs_duration(self) -> String {
        let m = self.millis;
        if m == 0 {
            return "PT0S".to_owned();
        }
        let (days, hours) = (m / MS_PER_DAY, (m % MS_PER_DAY) / MS_PER_HOUR);
        let (minutes, seconds) = ((m % MS_PER_HOUR) / MS_PER_MINUTE, (m % MS_PER_MINUTE) / MS_PER_SECOND);
        let frac = m % MS_PER_SECOND;
        let mut s = String::from("P");
        if days > 0 {
            let _ = write!(s, "{days}D");
        }
        if hours > 0 || minutes > 0 || seconds > 0 || frac > 0 {
            s.push('T');
            if hours > 0 {
                let _ = write!(s, "{hours}H");
            }
            if minutes > 0 {
                let _ = write!(s, "{minutes}M");
            }
            if seconds > 0 || frac > 0 {
                let _ = write!(s, "{seconds}");
                if frac > 0 {
                    let digits = format!("{frac:03}");
                    let _ = write!(s, ".{}", digits.trim_end_matches('0'));
                }
                s.push('S');
            }
        }
        s
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_fraction_millis(f: &str) -> Option<u64> {
    if f.is_empty() || f.len() > 7 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{f:0<3}");
    padded[..3].parse().ok()
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_timespan())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Duration::parse_timespan(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid duration {s:?}, expected hh:mm:ss")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespan_format_matches_the_docs() {
        assert_eq!(Duration::from_secs(369).to_timespan(), "00:06:09");
        assert_eq!(Duration::from_secs(4464).to_timespan(), "01:14:24");
        assert_eq!(Duration::from_secs(90_061).to_timespan(), "1.01:01:01");
        assert_eq!(Duration::from_millis(1500).to_timespan(), "00:00:01.5000000");
    }

    #[test]
    fn timespan_parses_back() {
        for s in ["00:06:09", "01:14:24", "1.01:01:01", "00:00:01.5000000", "00:00:00"] {
            assert_eq!(Duration::parse_timespan(s).unwrap().to_timespan(), s);
        }
        for bad in
            ["", "6:9", "00:60:00", "24:00:00", "aa:bb:cc", "00:00:00.", "-00:00:01", "00:00:01.12345678"]
        {
            assert_eq!(Duration::parse_timespan(bad), None, "{bad}");
        }
    }

    #[test]
    fn xs_duration_matches_the_docs() {
        assert_eq!(Duration::from_secs(367).to_xs_duration(), "PT6M7S");
        assert_eq!(Duration::from_secs(4464).to_xs_duration(), "PT1H14M24S");
        assert_eq!(Duration::from_secs(3600).to_xs_duration(), "PT1H");
        assert_eq!(Duration::from_secs(86_400).to_xs_duration(), "P1D");
        assert_eq!(Duration::from_millis(1500).to_xs_duration(), "PT1.5S");
        assert_eq!(Duration::default().to_xs_duration(), "PT0S");
    }
}
