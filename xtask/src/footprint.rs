//! Flash by component: which crate each symbol of the image belongs to.
//!
//! `nm --print-size -C` lists every sized symbol; a symbol is charged to the
//! crate its demangled path starts with (for `<T as Trait>::f`, the crate of
//! `T`). Embedded WASM modules are found by searching the image for their
//! LZ4 blocks (a deployment image's) or their bytes (the others'), and counted
//! at the size they take in flash. What no symbol covers (padding, anonymous constants) is reported as
//! such, so the table always adds up to the image's flash total.

use std::{collections::BTreeMap, path::Path};

use crate::sh;

/// The component a demangled symbol belongs to.
fn component(symbol: &str) -> &'static str {
    if symbol.contains("wasmi") || symbol.contains("wasmparser") {
        return "wasmi + wasmparser";
    }
    if symbol.starts_with(".L") {
        // Anonymous constants and switch tables: no crate in the name.
        return "anonymous constants";
    }
    if symbol.starts_with("__") {
        return "cortex-m runtime";
    }
    let path = symbol.trim_start_matches('<').trim_start_matches('&');
    let krate = path.split([':', ' ', '<']).next().unwrap_or("");
    match krate {
        k if k.starts_with("fireball") => "fireball (own code)",
        // The firmware's binaries (`deploy` has the generated plan, and LTO inlines much of
        // `fireball-deploy` into its `main`).
        "hello" | "bench" | "deploy" => "fireball (own code)",
        k if k.starts_with("wasmi") || k == "wasmparser" => "wasmi + wasmparser",
        "core" | "alloc" | "compiler_builtins" => "core + alloc",
        // Inherent impls on primitives: `<u64>::_fmt_inner`, `<[T]>::…`, `<str>::…`.
        k if k.starts_with('[')
            || k.starts_with(|c: char| c.is_ascii_lowercase()) && k.len() <= 5 =>
        {
            "core + alloc"
        }
        "talc" | "embedded_alloc" | "linked_list_allocator" => "allocators",
        k if k.starts_with("cortex_m") => "cortex-m runtime",
        "libm" | "serde_core" | "postcard" | "heapless" | "hashbrown" | "spin" | "embedded_io"
        | "embedded_hal" => "small dependencies",
        // The log lines' encoder and its transport (firmware feature `defmt`).
        k if k.starts_with("defmt") || k.starts_with("_defmt") || k == "semihosting" => {
            "small dependencies"
        }
        _ => "other",
    }
}

/// Flash bytes per component of `elf` (`wasmi + wasmparser`, `module filter.wasm`, …), each
/// module in `modules` found in it; they add up to `flash_total`.
pub fn components(
    elf: &Path,
    modules: &Path,
    flash_total: u64,
) -> Result<Vec<(String, u64)>, String> {
    let listing = sh("nm", &["--print-size", "-C", &elf.to_string_lossy()])?;
    let mut sizes: BTreeMap<&'static str, u64> = BTreeMap::new();
    for line in listing.lines() {
        let mut cols = line.splitn(4, ' ');
        let (Some(_addr), Some(size), Some(kind), Some(name)) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        // Code and read-only data live in flash; .bss/.data symbols do not count here.
        if !matches!(kind, "t" | "T" | "r" | "R" | "W" | "w") {
            continue;
        }
        // defmt's interned strings (JSON names) live in `.defmt`, which is not loaded.
        if name.starts_with('{') {
            continue;
        }
        let size = u64::from_str_radix(size, 16).unwrap_or(0);
        *sizes.entry(component(name)).or_default() += size;
    }
    let image = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let mut embedded = Vec::new();
    if let Ok(dir) = std::fs::read_dir(modules) {
        for entry in dir.flatten() {
            let module = std::fs::read(entry.path()).unwrap_or_default();
            if module.is_empty() {
                continue;
            }
            // A deployment image keeps its modules as the image builder wrote them under
            // `prevalidated/` (LZ4 blocks, and the dictionary plain), named by the module's
            // digest; other images (the bench's, `hello`) embed them as they are.
            let hex: String = fireball_vsoc::loader::digest(&module)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let pinned = modules.parent().map(|dir| dir.join("prevalidated"));
            let mut forms: Vec<Vec<u8>> = pinned
                .and_then(|dir| std::fs::read_dir(dir).ok())
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&hex))
                .filter_map(|e| std::fs::read(e.path()).ok())
                // A file an interrupted write left empty matches nothing.
                .filter(|bytes| !bytes.is_empty())
                .collect();
            forms.push(module);
            let found = |bytes: &[u8]| image.windows(bytes.len()).any(|w| w == bytes);
            let bytes = forms.into_iter().find(|bytes| found(bytes));
            if let Some(bytes) = bytes {
                let name = entry
                    .path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned());
                embedded.push((name.unwrap_or_default(), bytes.len() as u64));
            }
        }
    }
    embedded.sort();
    // `include_bytes!` data is an anonymous constant: count it as the module instead.
    if let Some(anon) = sizes.get_mut("anonymous constants") {
        *anon = anon.saturating_sub(embedded.iter().map(|(_, size)| size).sum());
    }
    let mut out: Vec<(String, u64)> = sizes.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let modules_total: u64 = embedded.iter().map(|(_, size)| size).sum();
    out.extend(
        embedded
            .into_iter()
            .map(|(name, size)| (format!("module {name}.wasm"), size)),
    );
    if modules_total > 0 {
        out.push(("modules".into(), modules_total));
    }
    let counted: u64 = out
        .iter()
        .filter(|(name, _)| name != "modules")
        .map(|(_, size)| size)
        .sum();
    out.push((
        "unattributed (padding, anon)".into(),
        flash_total.saturating_sub(counted),
    ));
    Ok(out)
}

/// Flash bytes per component of `elf`, as a table.
pub fn by_component(elf: &Path, modules: &Path, flash_total: u64) -> Result<String, String> {
    let mut out = format!("{:<28} {:>10}\n", "flash by component", "bytes");
    for (name, size) in components(elf, modules, flash_total)? {
        out += &format!("{name:<28} {size:>10}\n");
    }
    Ok(out)
}
