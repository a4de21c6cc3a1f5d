//! Makes a music folder for the library benchmark (`bench/library.sh`): `COUNT` tagged MP3
//! files (copies of the test fixture, each with tags of its own, written with lofty) in
//! `artist/album` folders of 10 tracks, and optionally one large WAV file to stream.
//!
//! `groove-library-files DIR COUNT [--wav-mib N]`

use anyhow::{Context as _, bail};
use lofty::config::WriteOptions;
use lofty::prelude::{Accessor as _, ItemKey, TagExt as _};
use lofty::tag::{Tag, TagType};
use std::io::Write as _;
use std::path::{Path, PathBuf};

const TONE: &[u8] = include_bytes!("../../../server/tests/fixtures/library/tone.mp3");

fn tag_file(path: &Path, n: usize) -> anyhow::Result<()> {
    let (artist, album, track) = (n / 100, (n / 10) % 10, n % 10 + 1);
    let mut tag = Tag::new(TagType::Id3v2);
    tag.set_title(format!("Track {n}"));
    tag.set_artist(format!("Artist {artist}"));
    tag.set_album(format!("Album {artist}-{album}"));
    tag.insert_text(ItemKey::AlbumArtist, format!("Artist {artist}"));
    tag.set_track(u32::try_from(track)?);
    tag.set_genre("Electronic".into());
    tag.insert_text(ItemKey::RecordingDate, format!("{}", 1970 + n % 50));
    tag.save_to_path(path, WriteOptions::default()).with_context(|| format!("cannot tag {}", path.display()))
}

/// A WAV file of silence of about `mib` MiB (16-bit stereo at 44.1 kHz).
fn wav(path: &Path, mib: u32) -> anyhow::Result<()> {
    let data = mib * 1024 * 1024;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"RIFF")?;
    f.write_all(&(36 + data).to_le_bytes())?;
    f.write_all(b"WAVEfmt ")?;
    f.write_all(&16_u32.to_le_bytes())?;
    f.write_all(&1_u16.to_le_bytes())?; // PCM
    f.write_all(&2_u16.to_le_bytes())?; // channels
    f.write_all(&44_100_u32.to_le_bytes())?;
    f.write_all(&(44_100_u32 * 4).to_le_bytes())?;
    f.write_all(&4_u16.to_le_bytes())?;
    f.write_all(&16_u16.to_le_bytes())?;
    f.write_all(b"data")?;
    f.write_all(&data.to_le_bytes())?;
    let block = vec![0_u8; 1024 * 1024];
    for _ in 0..mib {
        f.write_all(&block)?;
    }
    f.flush()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(count)) = (args.first(), args.get(1)) else {
        bail!("usage: groove-library-files DIR COUNT [--wav-mib N]");
    };
    let dir = PathBuf::from(dir);
    let count: usize = count.parse().context("COUNT must be a number")?;
    for n in 0..count {
        let folder = dir.join(format!("Artist {}", n / 100)).join(format!("Album {}", (n / 10) % 10));
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("{:02} Track {n}.mp3", n % 10 + 1));
        std::fs::write(&path, TONE)?;
        tag_file(&path, n)?;
    }
    if let Some(i) = args.iter().position(|a| a == "--wav-mib") {
        let mib: u32 = args.get(i + 1).context("--wav-mib needs a size")?.parse()?;
        let path = dir.join("large.wav");
        wav(&path, mib)?;
        let mut tag = Tag::new(TagType::Id3v2);
        tag.set_title("Large Stream".into());
        tag.set_artist("Bench".into());
        tag.set_album("Bench".into());
        tag.save_to_path(&path, WriteOptions::default())?;
    }
    Ok(())
}
