//! Lists each backend's migrations from its folder (`src/{backend}/migrations/NNNN_name.sql`),
//! so that a migration is one new file and the two lists cannot be written differently. Each
//! backend includes `$OUT_DIR/{backend}_migrations.rs`: `(version, name, SQL)` in order.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for backend in ["sqlite", "postgres"] {
        let dir = Path::new(&manifest).join("src").join(backend).join("migrations");
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("the migrations folder")
            .map(|entry| entry.expect("a migration file").file_name().to_string_lossy().into_owned())
            .filter(|name| Path::new(name).extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        let mut code = String::from("&[\n");
        let mut last = 0;
        for file in &files {
            let (number, name) =
                file.trim_end_matches(".sql").split_once('_').expect("a migration is named NNNN_name.sql");
            let version: i64 = number.parse().expect("a migration's name starts with its number");
            assert!(version > last, "{file}: migration numbers must increase");
            last = version;
            let path = dir.join(file);
            writeln!(code, "    ({version}, {name:?}, include_str!({:?})),", path.display().to_string())
                .expect("writing to a string");
        }
        code.push_str("]\n");
        std::fs::write(Path::new(&out).join(format!("{backend}_migrations.rs")), code)
            .expect("OUT_DIR is writable");
    }
}
